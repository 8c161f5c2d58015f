/* Socket options (§7): names, values, opt.set, opt.get. */
#include "adapter.h"

enum { OPT_BOOL, OPT_INT, OPT_LINGER, OPT_TTL };
static const struct {
    const char *name;
    int level, option, kind;
} OPTIONS[] = {
    {"reuseaddr", SOL_SOCKET, SO_REUSEADDR, OPT_BOOL},
#ifdef SO_REUSEPORT
    {"reuseport", SOL_SOCKET, SO_REUSEPORT, OPT_BOOL},
#endif
    {"nodelay", IPPROTO_TCP, TCP_NODELAY, OPT_BOOL},
    {"keepalive", SOL_SOCKET, SO_KEEPALIVE, OPT_BOOL},
    {"linger", SOL_SOCKET, SO_LINGER, OPT_LINGER},
    {"rcvbuf", SOL_SOCKET, SO_RCVBUF, OPT_INT},
    {"sndbuf", SOL_SOCKET, SO_SNDBUF, OPT_INT},
    {"broadcast", SOL_SOCKET, SO_BROADCAST, OPT_BOOL},
    {"v6only", IPPROTO_IPV6, IPV6_V6ONLY, OPT_BOOL},
    {"ttl", 0, 0, OPT_TTL},
    {"passcred", SOL_SOCKET, SO_PASSCRED, OPT_BOOL}, /* declared as unix.credentials, not opt.passcred */
};
#define OPTION_COUNT (sizeof OPTIONS / sizeof OPTIONS[0])

static int find_option(const char *name, int family, int *level, int *option, int *kind, Error *e) {
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strcmp(OPTIONS[i].name, name) == 0) {
            *kind = OPTIONS[i].kind;
            *level = OPTIONS[i].level;
            *option = OPTIONS[i].option;
            if (*kind == OPT_TTL) { /* the IP layer's hop limit, per family */
                *level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
                *option = family == AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL;
                *kind = OPT_INT;
            }
            return 0;
        }
    return fail(e, "UNSUPPORTED", "unknown option '%s'", name), -1;
}

int set_option(Sock *s, const char *name, json_t *value, Error *e) {
    int level, option, kind, r;
    if (s->sctp || is_sctp_option(name)) return set_sctp_option(s, name, value, e); /* sctp.c (1.8) */
    if (is_option_15(name)) return set_option_15(s, name, value, e); /* options15.c */
    if (is_option_multicast(name)) return set_option_multicast(s, name, value, e); /* multicast.c (1.7) */
    if (is_option_errqueue(name)) return set_option_errqueue(s, name, value, e); /* errqueue.c (1.7) */
    if (find_option(name, s->family, &level, &option, &kind, e) < 0) return -1;
    if (kind == OPT_BOOL) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
        int on = json_is_true(value);
        r = setsockopt(s->fd, level, option, &on, sizeof on);
    } else if (kind == OPT_INT) {
        if (!json_is_integer(value)) return fail(e, "BADREQUEST", "option '%s' takes an integer", name), -1;
        int n = (int)json_integer_value(value);
        r = setsockopt(s->fd, level, option, &n, sizeof n);
    } else {
        struct linger l = {0, 0};
        if (json_is_integer(value)) l = (struct linger){1, (int)json_integer_value(value)};
        else if (!json_is_null(value)) return fail(e, "BADREQUEST", "option 'linger' takes null or seconds"), -1;
        r = setsockopt(s->fd, level, option, &l, sizeof l);
    }
    if (r < 0) return fail_errno(e, errno, "setsockopt"), -1;
    return 0;
}

json_t *get_option(Sock *s, const char *name, Error *e) {
    int level, option, kind;
    if (s->sctp || is_sctp_option(name)) return get_sctp_option(s, name, e); /* sctp.c (1.8) */
    if (is_option_15(name)) return get_option_15(s, name, e); /* options15.c */
    if (is_option_multicast(name)) return get_option_multicast(s, name, e); /* multicast.c (1.7) */
    if (is_option_errqueue(name)) return get_option_errqueue(s, name, e); /* errqueue.c (1.7) */
    if (find_option(name, s->family, &level, &option, &kind, e) < 0) return NULL;
    if (kind == OPT_LINGER) {
        struct linger l;
        socklen_t len = sizeof l;
        if (getsockopt(s->fd, level, option, &l, &len) < 0) return fail_errno(e, errno, "getsockopt");
        return l.l_onoff ? json_integer(l.l_linger) : json_null();
    }
    int n = 0;
    socklen_t len = sizeof n;
    if (getsockopt(s->fd, level, option, &n, &len) < 0) return fail_errno(e, errno, "getsockopt");
    return kind == OPT_BOOL ? json_boolean(n) : json_integer(n);
}

/* hello: opt.NAME for every option this platform has. */
void append_option_features(json_t *features) {
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (strcmp(OPTIONS[i].name, "passcred") == 0) continue;
        char feature[32];
        snprintf(feature, sizeof feature, "opt.%s", OPTIONS[i].name);
        json_array_append_new(features, json_string(feature));
    }
    append_option_15_features(features);
    append_option_errqueue_features(features);
}

json_t *op_opt_set(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *name = s ? arg_str(args, "name", e) : NULL;
    json_t *value = json_object_get(args, "value");
    if (!name) return NULL;
    if (!value) return fail(e, "BADREQUEST", "missing argument 'value'");
    return set_option(s, name, value, e) < 0 ? NULL : json_object();
}

json_t *op_opt_get(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *name = s ? arg_str(args, "name", e) : NULL;
    json_t *value = name ? get_option(s, name, e) : NULL;
    return value ? json_pack("{s:o}", "value", value) : NULL;
}
