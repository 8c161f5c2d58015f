/* Multicast (protocol 1.7): udp.join, udp.leave, options multicast_loop, multicast_ttl and
 * multicast_if, the plain Linux way (ip(7), ipv6(7)): struct ip_mreqn and struct ipv6_mreq with
 * the interface's index, IP_MULTICAST_IF with struct ip_mreqn (index and address), and the
 * kernel's own errors (EADDRINUSE, EADDRNOTAVAIL, EINVAL). */
#include "adapter.h"

#include <net/if.h>

int is_option_multicast(const char *name) {
    return !strcmp(name, "multicast_loop") || !strcmp(name, "multicast_ttl") || !strcmp(name, "multicast_if");
}

/* An interface object {name, index, address} or null (§6): its index, and its IPv4 address
 * (INADDR_ANY when absent). */
static int interface_arg(json_t *value, int *index, struct in_addr *address, Error *e) {
    *index = 0;
    address->s_addr = htonl(INADDR_ANY);
    if (!value || json_is_null(value)) return 0;
    if (!json_is_object(value)) return fail(e, "BADREQUEST", "an interface is an object or null"), -1;
    json_t *i = json_object_get(value, "index"), *a = json_object_get(value, "address");
    if (i && !json_is_null(i)) {
        if (!json_is_integer(i) || json_integer_value(i) < 0)
            return fail(e, "BADREQUEST", "interface.index must be an integer >= 0"), -1;
        *index = (int)json_integer_value(i);
    }
    if (a && !json_is_null(a)) {
        if (!json_is_string(a)) return fail(e, "BADREQUEST", "interface.address must be a string"), -1;
        if (inet_pton(AF_INET, json_string_value(a), address) != 1)
            return fail(e, "EINVAL", "interface.address is not an IPv4 address"), -1;
    }
    return 0;
}

static json_t *membership(json_t *args, int join, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *group = s ? arg_str(args, "group", e) : NULL;
    if (!group) return NULL;
    int index;
    struct in_addr address;
    if (interface_arg(json_object_get(args, "interface"), &index, &address, e) < 0) return NULL;
    int r;
    if (s->family == AF_INET6) {
        struct ipv6_mreq m = {.ipv6mr_interface = (unsigned)index};
        if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv6 address: %s", group);
        r = setsockopt(s->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m);
    } else {
        struct ip_mreqn m = {.imr_address = address, .imr_ifindex = index};
        if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv4 address: %s", group);
        r = setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m);
    }
    if (r < 0) return fail_errno(e, errno, join ? "join" : "leave");
    return json_object();
}

json_t *op_udp_join(json_t *args, Error *e) { return membership(args, 1, e); }
json_t *op_udp_leave(json_t *args, Error *e) { return membership(args, 0, e); }

static void levels(int family, const char *name, int *level, int *option) {
    int six = family == AF_INET6;
    *level = six ? IPPROTO_IPV6 : IPPROTO_IP;
    if (!strcmp(name, "multicast_loop")) *option = six ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP;
    else if (!strcmp(name, "multicast_ttl")) *option = six ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL;
    else *option = six ? IPV6_MULTICAST_IF : IP_MULTICAST_IF;
}

int set_option_multicast(Sock *s, const char *name, json_t *value, Error *e) {
    int level, option, r;
    levels(s->family, name, &level, &option);
    if (!strcmp(name, "multicast_if")) {
        int index;
        struct in_addr address;
        if (interface_arg(value, &index, &address, e) < 0) return -1;
        if (s->family == AF_INET6) {
            r = setsockopt(s->fd, level, option, &index, sizeof index);
        } else {
            struct ip_mreqn m = {.imr_address = address, .imr_ifindex = index};
            r = setsockopt(s->fd, level, option, &m, sizeof m);
        }
    } else if (!strcmp(name, "multicast_loop")) {
        if (!json_is_boolean(value)) return fail(e, "BADREQUEST", "option '%s' takes a bool", name), -1;
        int on = json_is_true(value);
        r = setsockopt(s->fd, level, option, &on, sizeof on);
    } else {
        if (!json_is_integer(value)) return fail(e, "BADREQUEST", "option '%s' takes an integer", name), -1;
        int n = (int)json_integer_value(value);
        r = setsockopt(s->fd, level, option, &n, sizeof n);
    }
    if (r < 0) return fail_errno(e, errno, "setsockopt"), -1;
    return 0;
}

json_t *get_option_multicast(Sock *s, const char *name, Error *e) {
    int level, option;
    levels(s->family, name, &level, &option);
    if (!strcmp(name, "multicast_if") && s->family != AF_INET6) { /* IPv4: the interface's address */
        struct in_addr address = {0};
        socklen_t len = sizeof address;
        char text[INET_ADDRSTRLEN];
        if (getsockopt(s->fd, level, option, &address, &len) < 0) return fail_errno(e, errno, "getsockopt");
        return json_string(inet_ntop(AF_INET, &address, text, sizeof text));
    }
    int n = 0;
    socklen_t len = sizeof n;
    if (getsockopt(s->fd, level, option, &n, &len) < 0) return fail_errno(e, errno, "getsockopt");
    return !strcmp(name, "multicast_loop") ? json_boolean(n) : json_integer(n);
}

void append_multicast_features(json_t *features) {
    const char *names[] = {"multicast", "opt.multicast_loop", "opt.multicast_ttl", "opt.multicast_if"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) json_array_append_new(features, json_string(names[i]));
}
