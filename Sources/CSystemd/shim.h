// Shim over libsystemd (libsystemd-dev). Only non-variadic calls are used from Swift;
// variadic ones (sd_notifyf, sd_journal_send) get fixed-arity wrappers here when needed.
#include <systemd/sd-daemon.h>
