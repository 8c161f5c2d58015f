/* Multicast (protocol 1.7): udp.join, udp.leave, and the options multicast_loop,
 * multicast_ttl, multicast_if.
 *
 * libuv's own calls: uv_udp_set_membership (UV_JOIN_GROUP / UV_LEAVE_GROUP: IP_ADD_MEMBERSHIP
 * with an ip_mreq, IPV6_ADD_MEMBERSHIP with an ipv6_mreq), uv_udp_set_multicast_loop,
 * uv_udp_set_multicast_ttl, uv_udp_set_multicast_interface. libuv takes an interface as an
 * address string: IPv4 the interface's address, IPv6 "::%NAME" (uv_ip6_addr turns the scope
 * into the index with if_nametoindex); a null interface is NULL (INADDR_ANY, index 0).
 * libuv has no getters: the options are read back with getsockopt(2) on uv_fileno, as
 * options.c reads every other option (README.md, "Options"); on a socket libuv has no
 * multicast call for (TCP) they are set that way too, for the kernel's answer. */
#include "adapter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char *NAMES[] = {"multicast_loop", "multicast_ttl", "multicast_if"};
#define NAME_COUNT (sizeof NAMES / sizeof *NAMES)

int is_multicast_option(const char *name) {
    for (size_t i = 0; i < NAME_COUNT; i++)
        if (!strcmp(NAMES[i], name)) return 1;
    return 0;
}

void append_multicast_features(json_t *features) {
    json_array_append_new(features, json_string("multicast"));
    for (size_t i = 0; i < NAME_COUNT; i++) {
        char feature[32];
        snprintf(feature, sizeof feature, "opt.%s", NAMES[i]);
        json_array_append_new(features, json_string(feature));
    }
}

/* The interface object (or null, or absent) as the string libuv takes; *out NULL for null. */
static int interface_string(Entry *en, json_t *value, char *buf, size_t size, const char **out, Error *e) {
    *out = NULL;
    if (!value || json_is_null(value)) return 0;
    if (!json_is_object(value)) return fail(e, "BADREQUEST", "an interface is an object {name, index, address} or null"), -1;
    const char *member = en->family == AF_INET6 ? "name" : "address";
    json_t *v = json_object_get(value, member);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "interface.%s must be a string", member), -1;
    if (en->family == AF_INET6) snprintf(buf, size, "::%%%s", json_string_value(v));
    else snprintf(buf, size, "%s", json_string_value(v));
    *out = buf;
    return 0;
}

static json_t *membership(json_t *args, uv_membership which, Error *e) {
    Entry *en = arg_socket(args, e);
    if (!en) return NULL;
    if (en->kind != K_UDP)
        return supply(e, "EOPNOTSUPP", "handle %ld is not a datagram socket: libuv has no membership call for it", en->id);
    const char *group = arg_str(args, "group", e), *iface;
    char buf[64];
    struct sockaddr_storage ss;
    if (!group || make_address(en->family, group, 0, &ss, e) < 0) return NULL; /* EINVAL, as every host (§2.1) */
    if (interface_string(en, json_object_get(args, "interface"), buf, sizeof buf, &iface, e) < 0) return NULL;
    int r = uv_udp_set_membership(&en->u.udp, group, iface, which);
    if (r < 0)
        return fail_uv(e, r, which == UV_JOIN_GROUP ? "uv_udp_set_membership(UV_JOIN_GROUP)" : "uv_udp_set_membership(UV_LEAVE_GROUP)");
    return json_object();
}

json_t *op_udp_join(json_t *args, Error *e) { return membership(args, UV_JOIN_GROUP, e); }
json_t *op_udp_leave(json_t *args, Error *e) { return membership(args, UV_LEAVE_GROUP, e); }

static void level_of(Entry *en, const char *name, int *level, int *option) {
    int six = en->family == AF_INET6;
    *level = six ? IPPROTO_IPV6 : IPPROTO_IP;
    if (!strcmp(name, "multicast_loop")) *option = six ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP;
    else if (!strcmp(name, "multicast_ttl")) *option = six ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL;
    else *option = six ? IPV6_MULTICAST_IF : IP_MULTICAST_IF;
}

/* Sockets libuv has no multicast call for (TCP): setsockopt on uv_fileno, the kernel's answer.
 * multicast_if takes the interface's IPv4 address (IPv4) or its index (IPv6) there. */
static int raw_set(Entry *en, const char *name, int v, const char *iface, json_t *value) {
    uv_os_fd_t fd;
    int level, option, r = uv_fileno(&en->u.handle, &fd);
    if (r < 0) return r;
    level_of(en, name, &level, &option);
    if (!strcmp(name, "multicast_if") && en->family != AF_INET6) {
        struct in_addr a = {htonl(INADDR_ANY)};
        if (iface && inet_pton(AF_INET, iface, &a) != 1) return UV_EINVAL;
        return setsockopt(fd, level, option, &a, sizeof a) < 0 ? -errno : 0;
    }
    if (!strcmp(name, "multicast_if")) {
        json_t *index = json_is_object(value) ? json_object_get(value, "index") : NULL;
        v = json_is_integer(index) ? (int)json_integer_value(index) : 0;
    }
    return setsockopt(fd, level, option, &v, sizeof v) < 0 ? -errno : 0;
}

int multicast_set(Entry *en, const char *name, json_t *value, Error *e) {
    int r, v = 0;
    char buf[64];
    const char *iface = NULL;
    if (!strcmp(name, "multicast_if")) {
        if (interface_string(en, value, buf, sizeof buf, &iface, e) < 0) return -1;
    } else if (!strcmp(name, "multicast_loop")) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
        v = json_is_true(value);
    } else {
        if (!json_is_integer(value)) return fail(e, "BADREQUEST", "option '%s' takes an integer", name), -1;
        json_int_t n = json_integer_value(value);
        if (n < -2147483647LL || n > 2147483647LL)
            return fail(e, "EINVAL", "option '%s': %lld out of range", name, (long long)n), -1;
        v = (int)n;
    }
    if (en->kind != K_UDP) r = raw_set(en, name, v, iface, value);
    else if (!strcmp(name, "multicast_loop")) r = uv_udp_set_multicast_loop(&en->u.udp, v);
    else if (!strcmp(name, "multicast_ttl")) r = uv_udp_set_multicast_ttl(&en->u.udp, v);
    else r = uv_udp_set_multicast_interface(&en->u.udp, iface);
    if (r < 0) return fail_uv(e, r, "set option"), -1;
    return 0;
}

json_t *multicast_get(Entry *en, const char *name, Error *e) {
    uv_os_fd_t fd;
    int level, option, v = 0, r = uv_fileno(&en->u.handle, &fd);
    if (r < 0) return fail_uv(e, r, "get option");
    level_of(en, name, &level, &option);
    if (!strcmp(name, "multicast_if") && en->family != AF_INET6) {
        struct in_addr a = {0};
        socklen_t len = sizeof a;
        char text[INET_ADDRSTRLEN];
        if (getsockopt(fd, level, option, &a, &len) < 0) return fail_uv(e, -errno, "get option");
        inet_ntop(AF_INET, &a, text, sizeof text);
        return json_string(text);
    }
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, option, &v, &len) < 0) return fail_uv(e, -errno, "get option");
    return !strcmp(name, "multicast_loop") ? json_boolean(v) : json_integer(v);
}
