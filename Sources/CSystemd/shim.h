// Shim over libsystemd (libsystemd-dev). Only non-variadic calls are used from Swift;
// variadic ones (sd_notifyf, sd_journal_send) get fixed-arity wrappers here when needed.
#define SD_JOURNAL_SUPPRESS_LOCATION 1   /* we send CODE_FILE/CODE_LINE/CODE_FUNC ourselves */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

/// sd_journal_sendv(3) with the caller's fields only ("KEY=value" each).
static inline int verdant_journal_sendv(const struct iovec *iov, int n) { return sd_journal_sendv(iov, n); }
