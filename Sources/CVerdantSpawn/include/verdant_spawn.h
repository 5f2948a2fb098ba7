#ifndef VERDANT_SPAWN_H
#define VERDANT_SPAWN_H

#include <sys/types.h>
#include <stddef.h>

/// Where a failed spawn stopped, reported through `verdant_spawn`'s `out_stage`.
enum verdant_spawn_stage {
    VERDANT_SPAWN_OK = 0,
    VERDANT_SPAWN_FORK = 1,
    VERDANT_SPAWN_CGROUP = 2,
    VERDANT_SPAWN_SETGROUPS = 3,
    VERDANT_SPAWN_SETGID = 4,
    VERDANT_SPAWN_SETUID = 5,
    VERDANT_SPAWN_CHDIR = 6,
    VERDANT_SPAWN_EXEC = 7,
    VERDANT_SPAWN_PIPE = 8,
};

/// Starts `path` with `argv` and `envp` in a new session, after (in the child, in this order)
/// moving itself into the cgroup whose `cgroup.procs` file is `cgroup_procs` (skipped when NULL)
/// and into the one of `memory_procs` (a cgroup v1 memory hierarchy's job cgroup; skipped when NULL),
/// dropping to `gid`/`groups`/`uid` when `change_ids` is non-zero, changing to `cwd`, pointing
/// stdin at /dev/null and stdout and stderr at `log_fd`, and closing every other descriptor.
///
/// Only async-signal-safe calls run between fork and exec (POSIX.1-2017, 2.4.3). Failures in the
/// child are reported back through a close-on-exec pipe, so an exec error is an error of this call,
/// not a job that exits 127.
///
/// Returns 0 and sets `*out_pid`, or -1 and sets `*out_errno` and `*out_stage`
/// (an `enum verdant_spawn_stage`).
int verdant_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  const char *cgroup_procs, const char *memory_procs, int change_ids, uid_t uid, gid_t gid,
                  const gid_t *groups, size_t ngroups, int log_fd,
                  pid_t *out_pid, int *out_errno, int *out_stage);

#endif
