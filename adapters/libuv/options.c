/* Socket options (§7): set with libuv's own calls where libuv has one, read back with
 * getsockopt(2) on uv_fileno (libuv has no getters but the buffer sizes). */
#include "adapter.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef enum { O_BOOL, O_INT } OptType;

static const struct {
    const char *name;
    OptType type;
} OPTIONS[] = {
    {"reuseaddr", O_BOOL}, {"nodelay", O_BOOL}, {"keepalive", O_BOOL}, {"rcvbuf", O_INT},
    {"sndbuf", O_INT},     {"broadcast", O_BOOL}, {"v6only", O_BOOL}, {"ttl", O_INT},
    {"keepidle", O_INT}, /* 1.5: uv_tcp_keepalive's delay (it turns keep-alive on too) */
};
#define OPTION_COUNT (sizeof OPTIONS / sizeof OPTIONS[0])

void append_option_features(json_t *features) {
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        char feature[32];
        snprintf(feature, sizeof feature, "opt.%s", OPTIONS[i].name);
        json_array_append_new(features, json_string(feature));
    }
}

/* The socket option behind a name, for getsockopt (and setsockopt where libuv has no call). */
static void sockopt_of(Entry *en, const char *name, int *level, int *option) {
    *level = SOL_SOCKET;
    if (!strcmp(name, "reuseaddr")) *option = SO_REUSEADDR;
    else if (!strcmp(name, "nodelay")) *level = IPPROTO_TCP, *option = TCP_NODELAY;
    else if (!strcmp(name, "keepalive")) *option = SO_KEEPALIVE;
    else if (!strcmp(name, "rcvbuf")) *option = SO_RCVBUF;
    else if (!strcmp(name, "sndbuf")) *option = SO_SNDBUF;
    else if (!strcmp(name, "broadcast")) *option = SO_BROADCAST;
    else if (!strcmp(name, "v6only")) *level = IPPROTO_IPV6, *option = IPV6_V6ONLY;
    else if (!strcmp(name, "keepidle")) *level = IPPROTO_TCP, *option = TCP_KEEPIDLE;
    else if (en->family == AF_INET6) *level = IPPROTO_IPV6, *option = IPV6_UNICAST_HOPS; /* ttl */
    else *level = IPPROTO_IP, *option = IP_TTL;
}

static int find_option(const char *name, OptType *type, Error *e) {
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (!strcmp(OPTIONS[i].name, name)) {
            *type = OPTIONS[i].type;
            return 0;
        }
    return fail(e, "UNSUPPORTED", "unknown option '%s'", name), -1;
}

/* libuv's escape hatch (uv_fileno), for what libuv has no call for. */
static int raw_setsockopt(Entry *en, const char *name, int value) {
    uv_os_fd_t fd;
    int level, option, r = uv_fileno(&en->u.handle, &fd);
    if (r < 0) return r;
    sockopt_of(en, name, &level, &option);
    return setsockopt(fd, level, option, &value, sizeof value) < 0 ? -errno : 0;
}

/* The system's keep-alive idle time, so that uv_tcp_keepalive (which needs a delay) keeps it. */
static unsigned keepalive_delay(Entry *en) {
    uv_os_fd_t fd;
    int idle = 0;
    socklen_t len = sizeof idle;
    if (uv_fileno(&en->u.handle, &fd) < 0 || getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len) < 0 || idle < 1)
        idle = 7200;
    return (unsigned)idle;
}

static int set_option(Entry *en, const char *name, json_t *value, unsigned *bind_flags, Error *e) {
    OptType type;
    if (find_option(name, &type, e) < 0) return -1;
    int v;
    if (type == O_BOOL) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
        v = json_is_true(value);
    } else {
        if (!json_is_integer(value)) return fail(e, "BADREQUEST", "option '%s' takes an integer", name), -1;
        json_int_t n = json_integer_value(value);
        if (n < -2147483647LL || n > 2147483647LL) return fail(e, "EINVAL", "option '%s': %lld out of range", name, (long long)n), -1;
        v = (int)n;
    }
    int r, tcp = en->kind == K_TCP, udp = en->kind == K_UDP;
    if (!strcmp(name, "nodelay") && tcp) {
        r = uv_tcp_nodelay(&en->u.tcp, v);
    } else if (!strcmp(name, "keepalive") && tcp) {
        r = uv_tcp_keepalive(&en->u.tcp, v, v ? keepalive_delay(en) : 0);
    } else if (!strcmp(name, "keepidle") && tcp) {
        /* libuv's only keep-alive call: on, with this idle time (TCP_KEEPIDLE) */
        r = uv_tcp_keepalive(&en->u.tcp, 1, (unsigned)v);
    } else if ((!strcmp(name, "rcvbuf") || !strcmp(name, "sndbuf")) && v != 0) {
        /* uv_recv_buffer_size / uv_send_buffer_size: a value of 0 would read instead of set */
        r = !strcmp(name, "rcvbuf") ? uv_recv_buffer_size(&en->u.handle, &v) : uv_send_buffer_size(&en->u.handle, &v);
    } else if (!strcmp(name, "broadcast") && udp) {
        r = uv_udp_set_broadcast(&en->u.udp, v);
    } else if (!strcmp(name, "ttl") && udp) {
        r = uv_udp_set_ttl(&en->u.udp, v);
    } else {
        /* v6only and reuseaddr at creation are also uv_*_bind flags (libuv's bind sets
         * IPV6_V6ONLY to its flag, and SO_REUSEADDR on every TCP socket). */
        if (bind_flags && !strcmp(name, "v6only") && v) *bind_flags |= tcp ? UV_TCP_IPV6ONLY : udp ? UV_UDP_IPV6ONLY : 0;
        if (bind_flags && !strcmp(name, "reuseaddr") && v && udp) *bind_flags |= UV_UDP_REUSEADDR;
        r = raw_setsockopt(en, name, v);
    }
    if (r < 0) return fail_uv(e, r, "set option"), -1;
    return 0;
}

int apply_options(Entry *en, json_t *args, unsigned *bind_flags, Error *e) {
    json_t *options = json_object_get(args, "options"), *value;
    const char *name;
    if (!options || json_is_null(options)) return 0;
    if (!json_is_object(options)) return fail(e, "BADREQUEST", "options must be an object"), -1;
    json_object_foreach(options, name, value) {
        OptType type;
        if (find_option(name, &type, e) < 0) return -1;
    }
    json_object_foreach(options, name, value) {
        if (set_option(en, name, value, bind_flags, e) < 0) return -1;
    }
    return 0;
}

static json_t *get_option(Entry *en, const char *name, Error *e) {
    OptType type;
    if (find_option(name, &type, e) < 0) return NULL;
    int v = 0, r;
    if (!strcmp(name, "rcvbuf")) {
        r = uv_recv_buffer_size(&en->u.handle, &v);
    } else if (!strcmp(name, "sndbuf")) {
        r = uv_send_buffer_size(&en->u.handle, &v);
    } else {
        uv_os_fd_t fd;
        int level, option;
        socklen_t len = sizeof v;
        r = uv_fileno(&en->u.handle, &fd);
        sockopt_of(en, name, &level, &option);
        if (r == 0 && getsockopt(fd, level, option, &v, &len) < 0) r = -errno;
    }
    if (r < 0) return fail_uv(e, r, "get option");
    return type == O_BOOL ? json_boolean(v) : json_integer(v);
}

json_t *op_opt_set(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    const char *name = en ? arg_str(args, "name", e) : NULL;
    json_t *value = json_object_get(args, "value");
    if (!name) return NULL;
    if (!value) return fail(e, "BADREQUEST", "missing argument 'value'");
    if (is_multicast_option(name)) return multicast_set(en, name, value, e) < 0 ? NULL : json_object(); /* 1.7 */
    return set_option(en, name, value, NULL, e) < 0 ? NULL : json_object();
}

json_t *op_opt_get(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    const char *name = en ? arg_str(args, "name", e) : NULL;
    json_t *value = !name ? NULL : is_multicast_option(name) ? multicast_get(en, name, e) /* 1.7 */
                                                           : get_option(en, name, e);
    return value ? json_pack("{s:o}", "value", value) : NULL;
}
