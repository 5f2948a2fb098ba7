// Shim over libsystemd (libsystemd-dev). Only non-variadic calls are used from Swift;
// variadic ones (sd_notifyf, sd_journal_send, sd_bus_call_method, sd_bus_message_append) get
// fixed-arity wrappers here.
#define SD_JOURNAL_SUPPRESS_LOCATION 1   /* we send CODE_FILE/CODE_LINE/CODE_FUNC ourselves */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-bus.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

/// sd_journal_sendv(3) with the caller's fields only ("KEY=value" each).
static inline int verdant_journal_sendv(const struct iovec *iov, int n) { return sd_journal_sendv(iov, n); }

#define VERDANT_SD1 "org.freedesktop.systemd1"
#define VERDANT_SD1_PATH "/org/freedesktop/systemd1"
#define VERDANT_SD1_MANAGER "org.freedesktop.systemd1.Manager"

/// Copies the bus error (or strerror of r) into msg.
static inline void verdant_bus_error_text(const sd_bus_error *e, int r, char *msg, size_t len) {
    if (!msg || !len) return;
    if (e && sd_bus_error_is_set(e)) snprintf(msg, len, "%s: %s", e->name, e->message ? e->message : "");
    else snprintf(msg, len, "%s", strerror(r < 0 ? -r : r));
}

/// Opens a new connection to the system bus (sd_bus_open_system(3)).
static inline int verdant_bus_open(sd_bus **bus) { return sd_bus_open_system(bus); }

/// Subscribes to the manager's signals and to PropertiesChanged of every unit, so that a unit's state
/// change wakes sd_bus_wait(3) on this connection.
static inline int verdant_bus_watch_units(sd_bus *bus, char *msg, size_t len) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_add_match(bus, NULL,
        "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
        "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'", NULL, NULL);
    if (r < 0) { verdant_bus_error_text(NULL, r, msg, len); return r; }
    r = sd_bus_call_method(bus, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "Subscribe", &e, NULL, "");
    if (r < 0) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    return r;
}

/// Processes what arrived, then waits up to timeout_usec for more. Returns <0 on a broken connection.
static inline int verdant_bus_pump(sd_bus *bus, uint64_t timeout_usec) {
    int r;
    while ((r = sd_bus_process(bus, NULL)) > 0) {}
    if (r < 0) return r;
    r = sd_bus_wait(bus, timeout_usec);
    if (r < 0 && r != -EINTR) return r;
    while ((r = sd_bus_process(bus, NULL)) > 0) {}
    return r;
}

/// The parameters of one job unit. Arrays are NULL-terminated.
typedef struct {
    const char *name;            // verdant-job-<id>.service
    const char *description;
    const char *slice;           // verdant.slice
    const char *exec_path;       // absolute
    const char *const *argv;
    const char *const *env;
    const char *working_directory;
    const char *user;
    const char *group;
    uint64_t cpu_quota_usec_per_sec;     // 0 = none
    const uint8_t *allowed_cpus_mask;    // NULL = none
    size_t allowed_cpus_len;
    uint64_t memory_max_bytes;           // 0 = none
    uint64_t timeout_stop_usec;
} verdant_unit_spec;

static inline int verdant_append_strv(sd_bus_message *m, const char *const *v) {
    int r = sd_bus_message_open_container(m, 'a', "s");
    if (r < 0) return r;
    for (; v && *v; v++) if ((r = sd_bus_message_append_basic(m, 's', *v)) < 0) return r;
    return sd_bus_message_close_container(m);
}

/// Manager.StartTransientUnit(name, "fail", properties, no aux units) for a Type=exec service that
/// stays loaded after its main process ends (RemainAfterExit=yes) so that its exit status and CPU time
/// can be read, also by a restarted daemon. See org.freedesktop.systemd1(5) and systemd.resource-control(5).
static inline int verdant_start_transient(sd_bus *bus, const verdant_unit_spec *s, char *msg, size_t len) {
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_message_new_method_call(bus, &m, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "StartTransientUnit");
    if (r < 0) goto fail;
    if ((r = sd_bus_message_append(m, "ss", s->name, "fail")) < 0) goto fail;
    if ((r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "Description", "s", s->description)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "Slice", "s", s->slice)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "Type", "s", "exec")) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "RemainAfterExit", "b", 1)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "CPUAccounting", "b", 1)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 1)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", s->timeout_stop_usec)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "(sv)", "WorkingDirectory", "s", s->working_directory)) < 0) goto fail;
    if (s->user && (r = sd_bus_message_append(m, "(sv)", "User", "s", s->user)) < 0) goto fail;
    if (s->group && (r = sd_bus_message_append(m, "(sv)", "Group", "s", s->group)) < 0) goto fail;
    if (s->cpu_quota_usec_per_sec &&
        (r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", s->cpu_quota_usec_per_sec)) < 0) goto fail;
    if (s->memory_max_bytes && (r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", s->memory_max_bytes)) < 0) goto fail;
    if (s->allowed_cpus_mask) {
        if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0) goto fail;
        if ((r = sd_bus_message_append(m, "s", "AllowedCPUs")) < 0) goto fail;
        if ((r = sd_bus_message_open_container(m, 'v', "ay")) < 0) goto fail;
        if ((r = sd_bus_message_append_array(m, 'y', s->allowed_cpus_mask, s->allowed_cpus_len)) < 0) goto fail;
        if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
        if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    }
    // Environment: as
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "s", "Environment")) < 0) goto fail;
    if ((r = sd_bus_message_open_container(m, 'v', "as")) < 0) goto fail;
    if ((r = verdant_append_strv(m, s->env)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    // ExecStart: a(sasb)
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "s", "ExecStart")) < 0) goto fail;
    if ((r = sd_bus_message_open_container(m, 'v', "a(sasb)")) < 0) goto fail;
    if ((r = sd_bus_message_open_container(m, 'a', "(sasb)")) < 0) goto fail;
    if ((r = sd_bus_message_open_container(m, 'r', "sasb")) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "s", s->exec_path)) < 0) goto fail;
    if ((r = verdant_append_strv(m, s->argv)) < 0) goto fail;
    if ((r = sd_bus_message_append(m, "b", 0)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;
    if ((r = sd_bus_message_close_container(m)) < 0) goto fail;   // a(sv)
    if ((r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0) goto fail;
    r = sd_bus_call(bus, m, 0, &e, &reply);
fail:
    if (r < 0) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    sd_bus_message_unref(m);
    sd_bus_message_unref(reply);
    return r;
}

/// Manager.<method>(unit, "replace") for StopUnit; (unit) for FreezeUnit/ThawUnit/ResetFailedUnit.
static inline int verdant_unit_call(sd_bus *bus, const char *method, const char *unit, int with_mode, char *msg, size_t len) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = with_mode
        ? sd_bus_call_method(bus, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, method, &e, NULL, "ss", unit, "replace")
        : sd_bus_call_method(bus, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, method, &e, NULL, "s", unit);
    if (r < 0) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    return r;
}

/// Manager.KillUnit(unit, "all", signal).
static inline int verdant_unit_kill(sd_bus *bus, const char *unit, int32_t sig, char *msg, size_t len) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_call_method(bus, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "KillUnit", &e, NULL, "ssi", unit, "all", sig);
    if (r < 0) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    return r;
}

/// What Verdant reads of a job unit.
typedef struct {
    char load_state[32];
    char active_state[32];
    char sub_state[32];
    char control_group[512];
    int32_t exec_main_code;     // CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3; 0 = not ended
    int32_t exec_main_status;   // exit status or signal
    uint32_t main_pid;
    uint64_t cpu_usage_nsec;    // UINT64_MAX = unknown
    uint64_t exec_main_exit_usec;
} verdant_unit_state;

static inline int verdant_get_string(sd_bus *bus, const char *path, const char *iface, const char *prop, char *out, size_t len, sd_bus_error *e) {
    char *s = NULL;
    int r = sd_bus_get_property_string(bus, VERDANT_SD1, path, iface, prop, e, &s);
    if (r < 0) return r;
    snprintf(out, len, "%s", s ? s : "");
    free(s);
    return 0;
}

/// Reads a unit's state. Returns -ENOENT when systemd does not know the unit (never ran or collected).
static inline int verdant_unit_state_get(sd_bus *bus, const char *unit, verdant_unit_state *st, char *msg, size_t len) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    const char *path = NULL;
    char pathbuf[512];
    int r;
    memset(st, 0, sizeof *st);
    st->cpu_usage_nsec = UINT64_MAX;
    r = sd_bus_call_method(bus, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "GetUnit", &e, &reply, "s", unit);
    if (r < 0) {
        if (sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) r = -ENOENT;
        goto done;
    }
    if ((r = sd_bus_message_read(reply, "o", &path)) < 0) goto done;
    snprintf(pathbuf, sizeof pathbuf, "%s", path);
    const char *U = "org.freedesktop.systemd1.Unit", *S = "org.freedesktop.systemd1.Service";
    if ((r = verdant_get_string(bus, pathbuf, U, "LoadState", st->load_state, sizeof st->load_state, &e)) < 0) goto done;
    if ((r = verdant_get_string(bus, pathbuf, U, "ActiveState", st->active_state, sizeof st->active_state, &e)) < 0) goto done;
    if ((r = verdant_get_string(bus, pathbuf, U, "SubState", st->sub_state, sizeof st->sub_state, &e)) < 0) goto done;
    if ((r = verdant_get_string(bus, pathbuf, S, "ControlGroup", st->control_group, sizeof st->control_group, &e)) < 0) goto done;
    sd_bus_message_unref(reply); reply = NULL;
    if ((r = sd_bus_get_property_trivial(bus, VERDANT_SD1, pathbuf, S, "ExecMainCode", &e, 'i', &st->exec_main_code)) < 0) goto done;
    if ((r = sd_bus_get_property_trivial(bus, VERDANT_SD1, pathbuf, S, "ExecMainStatus", &e, 'i', &st->exec_main_status)) < 0) goto done;
    if ((r = sd_bus_get_property_trivial(bus, VERDANT_SD1, pathbuf, S, "MainPID", &e, 'u', &st->main_pid)) < 0) goto done;
    if ((r = sd_bus_get_property_trivial(bus, VERDANT_SD1, pathbuf, S, "ExecMainExitTimestamp", &e, 't', &st->exec_main_exit_usec)) < 0) goto done;
    if ((r = sd_bus_get_property_trivial(bus, VERDANT_SD1, pathbuf, S, "CPUUsageNSec", &e, 't', &st->cpu_usage_nsec)) < 0) goto done;
    r = 0;
done:
    if (r < 0 && r != -ENOENT) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    sd_bus_message_unref(reply);
    return r;
}

/// Manager.ListUnitsByPatterns([], [pattern]): calls back with each unit name.
static inline int verdant_list_units(sd_bus *bus, const char *pattern, void (*each)(const char *name, void *ctx), void *ctx, char *msg, size_t len) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL, *reply = NULL;
    int r = sd_bus_message_new_method_call(bus, &m, VERDANT_SD1, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "ListUnitsByPatterns");
    if (r < 0) goto done;
    if ((r = sd_bus_message_append(m, "as", 0)) < 0) goto done;
    if ((r = sd_bus_message_append(m, "as", 1, pattern)) < 0) goto done;
    if ((r = sd_bus_call(bus, m, 0, &e, &reply)) < 0) goto done;
    if ((r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)")) < 0) goto done;
    const char *name;
    while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) > 0) each(name, ctx);
    if (r >= 0) r = sd_bus_message_exit_container(reply);
done:
    if (r < 0) verdant_bus_error_text(&e, r, msg, len);
    sd_bus_error_free(&e);
    sd_bus_message_unref(m);
    sd_bus_message_unref(reply);
    return r;
}

/// Calls back with the MESSAGE of every journal entry of `unit` (_SYSTEMD_UNIT=unit), oldest first
/// (sd_journal_open(3), sd_journal_add_match(3)). Returns <0 on error.
static inline int verdant_journal_unit_messages(const char *unit, void (*each)(const char *msg, size_t n, void *ctx), void *ctx) {
    sd_journal *j = NULL;
    char match[512];
    int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
    if (r < 0) return r;
    snprintf(match, sizeof match, "_SYSTEMD_UNIT=%s", unit);
    if ((r = sd_journal_add_match(j, match, 0)) < 0) { sd_journal_close(j); return r; }
    SD_JOURNAL_FOREACH(j) {
        const void *d; size_t n;
        if (sd_journal_get_data(j, "MESSAGE", &d, &n) >= 0 && n >= 8) each((const char *)d + 8, n - 8, ctx);
    }
    sd_journal_close(j);
    return 0;
}

/// Reads the manager's Version property: checks that systemd answers on this bus. Copies it to out.
static inline int verdant_manager_version(sd_bus *bus, char *out, size_t len, char *msg, size_t msglen) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = verdant_get_string(bus, VERDANT_SD1_PATH, VERDANT_SD1_MANAGER, "Version", out, len, &e);
    if (r < 0) verdant_bus_error_text(&e, r, msg, msglen);
    sd_bus_error_free(&e);
    return r;
}
