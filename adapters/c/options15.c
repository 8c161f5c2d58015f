/* The options of protocol 1.5 (§7): SO_RCVTIMEO/SO_SNDTIMEO (seconds), TCP keep-alive tuning,
 * TCP_USER_TIMEOUT, TCP_CORK, IP_TOS/IPV6_TCLASS, SO_OOBINLINE, and the read-only SO_TYPE,
 * SO_ACCEPTCONN and SO_ERROR (an errno name or null; reading it clears it). */
#include "adapter.h"

#include <sys/time.h>

enum { O_TIMEVAL, O_BOOL, O_INT, O_TOS, O_TYPE, O_ERROR };
static const struct {
    const char *name;
    int level, option, kind;
} OPTIONS15[] = {
    {"rcvtimeo", SOL_SOCKET, SO_RCVTIMEO, O_TIMEVAL},
    {"sndtimeo", SOL_SOCKET, SO_SNDTIMEO, O_TIMEVAL},
    {"keepidle", IPPROTO_TCP, TCP_KEEPIDLE, O_INT},
    {"keepintvl", IPPROTO_TCP, TCP_KEEPINTVL, O_INT},
    {"keepcnt", IPPROTO_TCP, TCP_KEEPCNT, O_INT},
    {"user_timeout", IPPROTO_TCP, TCP_USER_TIMEOUT, O_INT},
    {"cork", IPPROTO_TCP, TCP_CORK, O_BOOL},
    {"tos", 0, 0, O_TOS},
    {"oobinline", SOL_SOCKET, SO_OOBINLINE, O_BOOL},
    {"type", SOL_SOCKET, SO_TYPE, O_TYPE},
    {"acceptconn", SOL_SOCKET, SO_ACCEPTCONN, O_BOOL},
    {"error", SOL_SOCKET, SO_ERROR, O_ERROR},
};
#define COUNT (sizeof OPTIONS15 / sizeof *OPTIONS15)

static int find(const char *name, int family, int *level, int *option) {
    for (size_t i = 0; i < COUNT; i++)
        if (!strcmp(OPTIONS15[i].name, name)) {
            *level = OPTIONS15[i].level, *option = OPTIONS15[i].option;
            if (OPTIONS15[i].kind == O_TOS) {
                *level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
                *option = family == AF_INET6 ? IPV6_TCLASS : IP_TOS;
            }
            return OPTIONS15[i].kind;
        }
    return -1;
}

int is_option_15(const char *name) {
    int level, option;
    return find(name, AF_INET, &level, &option) >= 0;
}

int set_option_15(Sock *s, const char *name, json_t *value, Error *e) {
    int level, option, kind = find(name, s->family, &level, &option), r;
    if (kind == O_TIMEVAL) {
        if (!json_is_number(value) || json_number_value(value) < 0)
            return fail(e, "BADREQUEST", "option '%s' takes seconds, a number >= 0", name), -1;
        double seconds = json_number_value(value);
        struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6 + 0.5)};
        r = setsockopt(s->fd, level, option, &tv, sizeof tv);
    } else if (kind == O_BOOL) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
        int on = json_is_true(value);
        r = setsockopt(s->fd, level, option, &on, sizeof on);
    } else if (kind == O_INT || kind == O_TOS) {
        if (!json_is_integer(value)) return fail(e, "BADREQUEST", "option '%s' takes an integer", name), -1;
        int n = (int)json_integer_value(value);
        r = setsockopt(s->fd, level, option, &n, sizeof n);
    } else { /* read-only: the kernel answers */
        int n = json_is_integer(value) ? (int)json_integer_value(value) : 0;
        r = setsockopt(s->fd, level, option, &n, sizeof n);
    }
    if (r < 0) return fail_errno(e, errno, "setsockopt"), -1;
    return 0;
}

json_t *get_option_15(Sock *s, const char *name, Error *e) {
    int level, option, kind = find(name, s->family, &level, &option);
    if (kind == O_TIMEVAL) {
        struct timeval tv;
        socklen_t len = sizeof tv;
        if (getsockopt(s->fd, level, option, &tv, &len) < 0) return fail_errno(e, errno, "getsockopt");
        return json_real((double)tv.tv_sec + (double)tv.tv_usec / 1e6);
    }
    int n = 0;
    socklen_t len = sizeof n;
    if (getsockopt(s->fd, level, option, &n, &len) < 0) return fail_errno(e, errno, "getsockopt");
    switch (kind) {
    case O_BOOL: return json_boolean(n);
    case O_TYPE: return json_string(n == SOCK_STREAM ? "stream" : n == SOCK_DGRAM ? "dgram"
                                    : n == SOCK_SEQPACKET ? "seqpacket" : n == SOCK_RAW ? "raw" : "unknown");
    case O_ERROR: return n ? json_string(errno_name(n)) : json_null();
    default: return json_integer(n);
    }
}

void append_option_15_features(json_t *features) {
    for (size_t i = 0; i < COUNT; i++) {
        char feature[32];
        snprintf(feature, sizeof feature, "opt.%s", OPTIONS15[i].name);
        json_array_append_new(features, json_string(feature));
    }
}
