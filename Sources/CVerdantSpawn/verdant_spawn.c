#define _GNU_SOURCE
#include "verdant_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Closes every fd in [first, last] (close_range(2), Linux 5.9; a plain loop where it is missing). */
static void close_fds(unsigned int first, unsigned int last) {
    if (first > last) return;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (long fd = first; fd < max && (unsigned long)fd <= last; fd++) close((int)fd);
}

static void report_and_exit(int fd, int stage) {
    int msg[2] = { stage, errno };
    ssize_t ignored = write(fd, msg, sizeof msg);
    (void)ignored;
    _exit(127);
}

/* Formats a pid in decimal without malloc or stdio (async-signal-safe). */
static size_t format_pid(pid_t pid, char *buf) {
    char tmp[24];
    size_t n = 0;
    unsigned long v = (unsigned long)pid;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = '\n';
    return n + 1;
}

int verdant_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  const char *cgroup_procs, const char *memory_procs, int change_ids, uid_t uid, gid_t gid,
                  const gid_t *groups, size_t ngroups, int log_fd,
                  pid_t *out_pid, int *out_errno, int *out_stage) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        *out_errno = errno; *out_stage = VERDANT_SPAWN_PIPE; return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *out_errno = errno; *out_stage = VERDANT_SPAWN_FORK;
        close(pipefd[0]); close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pipefd[0]);
        /* A job starts with default signal handling and nothing blocked, whatever the daemon's threads
           had set: otherwise SIGTERM on cancel or shutdown could be blocked and SIGPIPE ignored. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP) continue;
            sigaction(sig, &dfl, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        const char *procs_files[2] = { cgroup_procs, memory_procs };
        for (int i = 0; i < 2; i++) {
            if (procs_files[i] == NULL) continue;
            int fd = open(procs_files[i], O_WRONLY | O_CLOEXEC);
            if (fd < 0) report_and_exit(pipefd[1], VERDANT_SPAWN_CGROUP);
            char buf[32];
            size_t len = format_pid(getpid(), buf);
            if (write(fd, buf, len) < 0) report_and_exit(pipefd[1], VERDANT_SPAWN_CGROUP);
            close(fd);
        }
        if (change_ids) {
            if (setgroups(ngroups, groups) != 0) report_and_exit(pipefd[1], VERDANT_SPAWN_SETGROUPS);
            if (setgid(gid) != 0) report_and_exit(pipefd[1], VERDANT_SPAWN_SETGID);
            if (setuid(uid) != 0) report_and_exit(pipefd[1], VERDANT_SPAWN_SETUID);
        }
        if (cwd != NULL && chdir(cwd) != 0) report_and_exit(pipefd[1], VERDANT_SPAWN_CHDIR);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) { dup2(devnull, 0); if (devnull != 0) close(devnull); }
        if (log_fd >= 0) { dup2(log_fd, 1); dup2(log_fd, 2); }
        /* The job inherits nothing else of the daemon's: not its database, its API socket, or
           descriptors other threads opened without O_CLOEXEC. The error pipe stays until exec. */
        int report_fd = pipefd[1];
        close_fds(3, (unsigned int)report_fd - 1);
        close_fds((unsigned int)report_fd + 1, ~0U);
        execve(path, argv, envp);
        report_and_exit(pipefd[1], VERDANT_SPAWN_EXEC);
    }
    close(pipefd[1]);
    int msg[2];
    ssize_t n;
    do { n = read(pipefd[0], msg, sizeof msg); } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof msg) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *out_stage = msg[0]; *out_errno = msg[1];
        return -1;
    }
    *out_pid = pid; *out_stage = VERDANT_SPAWN_OK; *out_errno = 0;
    return 0;
}
