/* Addresses: numeric host and port <-> sockaddr (uv_ip4_addr, uv_ip6_addr, uv_ip4_name,
 * uv_ip6_name), addr.local, addr.peer (uv_tcp_getsockname, uv_udp_getpeername, ...). */
#include "adapter.h"

#include <arpa/inet.h>
#include <sys/un.h>

/* Numeric hosts only: an adapter never resolves names. */
int make_address(int family, const char *host, long long port, struct sockaddr_storage *ss, Error *e) {
    memset(ss, 0, sizeof *ss);
    if (port < 0 || port > 65535) return fail(e, "EINVAL", "port out of range: %lld", port), -1;
    int r = family == AF_INET ? uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss)
                              : uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss);
    if (r < 0 || strchr(host, '%'))
        return fail(e, "EINVAL", "not a numeric %s address: '%s'", family == AF_INET ? "IPv4" : "IPv6", host), -1;
    return 0;
}

int address_arg(json_t *args, int family, struct sockaddr_storage *ss, Error *e) {
    const char *host = arg_str(args, "host", e);
    long long port;
    if (!host || arg_int(args, "port", 0, 0, &port, e) < 0) return -1;
    return make_address(family, host, port, ss, e);
}

json_t *address_json(const struct sockaddr *sa) {
    char text[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        uv_ip4_name(in, text, sizeof text);
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(in6, text, sizeof text);
        port = ntohs(in6->sin6_port);
    }
    return json_pack("{s:s, s:i}", "host", text, "port", port);
}

/* A pipe's name as libuv gives it (uv_pipe_getsockname/getpeername): the path, or nothing
 * (length 0) for an unnamed socket; a leading NUL would be an abstract name. */
static json_t *pipe_name_json(const char *name, size_t len) {
    if (len == 0) return json_pack("{s:b}", "unnamed", 1);
    if (name[0] == '\0') return json_pack("{s:s%}", "abstract", name + 1, len - 1);
    return json_pack("{s:s%}", "path", name, strnlen(name, len));
}

json_t *pipe_name(uv_pipe_t *pipe, int peer, Error *e) {
    char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1] = {0}; /* libuv reads name[0] even
                                                                       * when it copied nothing */
    size_t n = sizeof name;
    int r = peer ? uv_pipe_getpeername(pipe, name, &n) : uv_pipe_getsockname(pipe, name, &n);
    if (r < 0) return fail_uv(e, r, peer ? "uv_pipe_getpeername" : "uv_pipe_getsockname");
    return pipe_name_json(name, n);
}

json_t *entry_name(Entry *en, int peer, Error *e) {
    struct sockaddr_storage ss;
    int len = sizeof ss, r;
    const char *what = peer ? "getpeername" : "getsockname";
    switch (en->kind) {
    case K_TCP:
        r = peer ? uv_tcp_getpeername(&en->u.tcp, (struct sockaddr *)&ss, &len)
                 : uv_tcp_getsockname(&en->u.tcp, (struct sockaddr *)&ss, &len);
        break;
    case K_UDP:
        r = peer ? uv_udp_getpeername(&en->u.udp, (struct sockaddr *)&ss, &len)
                 : uv_udp_getsockname(&en->u.udp, (struct sockaddr *)&ss, &len);
        break;
    case K_PIPE:
        return pipe_name(&en->u.pipe, peer, e);
    default:
        return supply(e, "ENOTSOCK", "handle %ld is an echo server", en->id);
    }
    if (r < 0) return fail_uv(e, r, what);
    return address_json((struct sockaddr *)&ss);
}

json_t *op_addr_local(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    return en ? entry_name(en, 0, e) : NULL;
}

json_t *op_addr_peer(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    return en ? entry_name(en, 1, e) : NULL;
}
