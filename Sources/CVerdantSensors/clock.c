// Kernel clock discipline for `verdant doctor` (adjtimex(2) with modes = 0: read only).
#include <sys/timex.h>
#include "verdant_sensors.h"

int verdant_clock_state(int *status_out, long *maxerror_us_out) {
    struct timex t = {0};
    int r = adjtimex(&t);
    if (r < 0) return -1;
    *status_out = t.status;
    *maxerror_us_out = t.maxerror;
    return r;
}
