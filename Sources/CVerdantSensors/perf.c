#define _GNU_SOURCE
#include "verdant_sensors.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int verdant_perf_open(uint32_t type, uint64_t config, int cpu, int *err) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = type;
    attr.size = sizeof attr;
    attr.config = config;
    long fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) { *err = errno; return -1; }
    return (int)fd;
}

int verdant_perf_read(int fd, uint64_t *value) {
    ssize_t n = read(fd, value, sizeof *value);
    return n == (ssize_t)sizeof *value ? 0 : -1;
}
