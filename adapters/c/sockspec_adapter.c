/*
 * sockspec C adapter: the wire protocol 1.2 (docs/protocol.md) over POSIX sockets.
 *
 * Reads one JSON request per line on stdin, performs it with plain BSD socket calls, and
 * writes one JSON response per line on stdout. Every socket is non-blocking; an operation
 * is attempted first and waits with poll(2) only if it would block, so operations that
 * cannot succeed report their own error at once. serve.start runs an echo server on a
 * pthread of its own (a poll(2) loop), concurrently with the request loop.
 *
 * Build (as the suite does): cc -std=gnu11 -O2 -Wall -Wextra -o OUT sockspec_adapter.c -ljansson -lcrypto -pthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION "1.2"
#define DEFAULT_TIMEOUT 5.0

/* ---- errors ------------------------------------------------------------------------ */

typedef struct {
    const char *code;
    char message[256];
} Error;

static json_t *fail(Error *e, const char *code, const char *fmt, ...) {
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return NULL;
}

static const char *errno_name(int err) {
    /* The protocol names EAGAIN (not EWOULDBLOCK) and EOPNOTSUPP (not ENOTSUP). */
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EACCES: return "EACCES";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EALREADY: return "EALREADY";
    case EBADF: return "EBADF";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EINPROGRESS: return "EINPROGRESS";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISCONN: return "EISCONN";
    case EMFILE: return "EMFILE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ESHUTDOWN: return "ESHUTDOWN";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: break;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *name = strerrorname_np(err);
    if (name) return name;
#endif
    return "EIO";
}

static json_t *fail_errno(Error *e, int err, const char *context) {
    return fail(e, errno_name(err), "%s: %s", context, strerror(err));
}

/* ---- handles ------------------------------------------------------------------------ */

struct Server;

typedef struct {
    int fd; /* -1 once closed: handles are never reused */
    int family;
    int type;
    struct Server *server; /* serve.start: the echo server behind this handle (fd is its socket) */
} Sock;

static void server_stop(struct Server *server, long *sessions);

static Sock *table;
static long table_size, next_handle = 1;

static long register_socket(int fd, int family, int type) {
    if (next_handle >= table_size) {
        long grown = table_size ? table_size * 2 : 256;
        table = realloc(table, (size_t)grown * sizeof *table);
        if (!table) abort();
        for (long i = table_size; i < grown; i++) table[i].fd = -1;
        table_size = grown;
    }
    table[next_handle] = (Sock){fd, family, type, NULL};
    return next_handle++;
}

/* Closes a handle: a socket, or a server with everything it holds. */
static void close_handle(Sock *s, long *sessions) {
    if (s->server) {
        server_stop(s->server, sessions);
        s->server = NULL;
    } else {
        close(s->fd);
    }
    s->fd = -1;
}

static void close_all(void) {
    for (long i = 1; i < next_handle; i++)
        if (table[i].fd >= 0) close_handle(&table[i], NULL);
}

/* ---- arguments ---------------------------------------------------------------------- */

static int arg_int(json_t *args, const char *name, long long fallback, int required, long long *out, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!v || json_is_null(v)) {
        if (required) return fail(e, "BADREQUEST", "missing argument '%s'", name), -1;
        *out = fallback;
        return 0;
    }
    if (!json_is_integer(v)) return fail(e, "BADREQUEST", "argument '%s' must be an integer", name), -1;
    *out = json_integer_value(v);
    return 0;
}

static const char *arg_str(json_t *args, const char *name, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument '%s' must be a string", name), NULL;
    return json_string_value(v);
}

static int arg_timeout(json_t *args, double *out, Error *e) {
    json_t *v = json_object_get(args, "timeout");
    *out = DEFAULT_TIMEOUT;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return fail(e, "BADREQUEST", "timeout must be a number >= 0"), -1;
    *out = json_number_value(v);
    return 0;
}

static int arg_family(json_t *args, int *family, Error *e) {
    const char *name = arg_str(args, "family", e);
    if (!name) return -1;
    if (strcmp(name, "ipv4") == 0) *family = AF_INET;
    else if (strcmp(name, "ipv6") == 0) *family = AF_INET6;
    else return fail(e, "BADREQUEST", "unknown family '%s'", name), -1;
    return 0;
}

/* Any open handle: a socket or a server. */
static Sock *arg_handle(json_t *args, long *handle_out, Error *e) {
    long long handle;
    if (arg_int(args, "handle", 0, 1, &handle, e) < 0) return NULL;
    if (handle <= 0 || handle >= next_handle || table[handle].fd < 0)
        return fail(e, "EBADF", "no open handle %lld", handle), NULL;
    if (handle_out) *handle_out = (long)handle;
    return &table[handle];
}

/* An open socket handle: a server's socket belongs to its thread. */
static Sock *arg_socket(json_t *args, long *handle_out, Error *e) {
    Sock *s = arg_handle(args, handle_out, e);
    if (s && s->server) return fail(e, "ENOTSOCK", "handle %lld is an echo server, not a socket",
                                    (long long)(s - table)), NULL;
    return s;
}

/* ---- addresses ---------------------------------------------------------------------- */

typedef struct {
    struct sockaddr_storage ss;
    socklen_t len;
} Address;

/* Numeric hosts only: an adapter must never resolve names. */
static int make_address(int family, const char *host, long long port, Address *a, Error *e) {
    memset(a, 0, sizeof *a);
    if (port < 0 || port > 65535) return fail(e, "EINVAL", "port out of range: %lld", port), -1;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv4 address: '%s'", host), -1;
        a->len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return fail(e, "EINVAL", "not a numeric IPv6 address: '%s'", host), -1;
        a->len = sizeof *in6;
    }
    return 0;
}

static int address_arg(json_t *args, int family, Address *a, Error *e) {
    const char *host = arg_str(args, "host", e);
    long long port;
    if (!host || arg_int(args, "port", 0, 0, &port, e) < 0) return -1;
    return make_address(family, host, port, a, e);
}

static json_t *address_json(const struct sockaddr_storage *ss) {
    char text[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        port = ntohs(in6->sin6_port);
    }
    return json_pack("{s:s, s:i}", "host", text, "port", port);
}

static json_t *name_json(int fd, int peer, Error *e) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
        return fail_errno(e, errno, peer ? "getpeername" : "getsockname");
    return address_json(&ss);
}

/* ---- base64 (RFC 4648, via libcrypto) ------------------------------------------------- */

static json_t *b64_json(const unsigned char *data, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out) abort();
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    json_t *s = json_stringn(out, (size_t)n);
    free(out);
    return s;
}

/* Strict decoding: the standard alphabet, padded, nothing else. Caller frees *out. */
static int b64_arg(json_t *args, unsigned char **out, size_t *len, Error *e) {
    json_t *v = json_object_get(args, "data");
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument 'data' must be a base64 string"), -1;
    const char *text = json_string_value(v);
    size_t n = json_string_length(v), pad = 0;
    if (n % 4) return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=' && i >= n - 2) { pad++; continue; }
        if (!ok || pad) return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    }
    *out = malloc(n / 4 * 3 + 1);
    if (!*out) abort();
    int decoded = n ? EVP_DecodeBlock(*out, (const unsigned char *)text, (int)n) : 0;
    if (decoded < 0) {
        free(*out);
        return fail(e, "BADREQUEST", "invalid base64 data"), -1;
    }
    *len = (size_t)decoded - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    return 0;
}

/* ---- waiting -------------------------------------------------------------------------- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After an EAGAIN: 0 to try again, or -1 with the error set (EAGAIN or ETIMEDOUT). */
static int wait_ready(int fd, short events, double timeout, double deadline, const char *what, Error *e) {
    if (timeout == 0) return fail(e, "EAGAIN", "%s: would block", what), -1;
    for (;;) {
        double left = deadline - now();
        if (left <= 0) return fail(e, "ETIMEDOUT", "%s: timed out after %g s", what, timeout), -1;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1); /* round up: never wake early */
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return fail_errno(e, errno, "poll"), -1;
    }
}

#define WOULD_BLOCK(err) ((err) == EAGAIN || (err) == EWOULDBLOCK)

/* ---- options ---------------------------------------------------------------------------- */

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

static int set_option(Sock *s, const char *name, json_t *value, Error *e) {
    int level, option, kind, r;
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

static json_t *get_option(Sock *s, const char *name, Error *e) {
    int level, option, kind;
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

/* Creates a non-blocking socket with the request's options applied, in order. */
static int new_socket(json_t *args, int family, int type, long *handle, Error *e) {
    json_t *options = json_object_get(args, "options");
    if (options && !json_is_null(options) && !json_is_object(options))
        return fail(e, "BADREQUEST", "options must be an object"), -1;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno(e, errno, "socket"), -1;
    *handle = register_socket(fd, family, type);
    const char *name;
    json_t *value;
    json_object_foreach(options, name, value) {
        if (set_option(&table[*handle], name, value, e) < 0) {
            close(fd);
            table[*handle].fd = -1;
            return -1;
        }
    }
    return fd;
}

static int bind_to(Sock *s, json_t *address_args, Error *e) {
    Address a;
    if (address_arg(address_args, s->family, &a, e) < 0) return -1;
    if (bind(s->fd, (struct sockaddr *)&a.ss, a.len) < 0) return fail_errno(e, errno, "bind"), -1;
    return 0;
}

/* Drops a socket created for a request that then failed. */
static json_t *discard(long handle) {
    int saved = errno;
    close(table[handle].fd);
    table[handle].fd = -1;
    errno = saved;
    return NULL;
}

/* Drops it and reports the system error that made the request fail. */
static json_t *discard_failing(long handle, Error *e, const char *context) {
    int err = errno;
    discard(handle);
    return fail_errno(e, err, context);
}

/* ---- operations ----------------------------------------------------------------------- */

/* A feature that needs privilege or a sysctl is declared only where it works. */
static int can_open(int family, int type, int protocol) {
    int fd = socket(family, type, protocol);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}

static json_t *op_hello(json_t *args, Error *e) {
    (void)args, (void)e;
    json_t *features = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s]", "tcp", "udp", "udp.connect", "ipv4", "ipv6",
                                 "ipv4-mapped", "tcp.socket", "tcp.bind-connect", "stream.shutdown.write",
                                 "stream.shutdown.read", "stream.abort", "nonblocking", "serve.tcp", "serve.udp");
    if (can_open(AF_INET, SOCK_RAW, IPPROTO_ICMP)) json_array_append_new(features, json_string("raw"));
    if (can_open(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) json_array_append_new(features, json_string("ping-socket"));
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        char feature[32];
        snprintf(feature, sizeof feature, "opt.%s", OPTIONS[i].name);
        json_array_append_new(features, json_string(feature));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "protocol", PROTOCOL_VERSION, "implementation", "c-posix",
                     "version", "1.0.0", "language", "c", "features", features);
}

static json_t *op_reset(json_t *args, Error *e) {
    (void)args, (void)e;
    close_all();
    return json_object();
}

static json_t *op_close(json_t *args, Error *e) {
    Sock *s = arg_handle(args, NULL, e);
    if (!s) return NULL;
    close_handle(s, NULL);
    return json_object();
}

static json_t *op_tcp_listen(json_t *args, Error *e) {
    int family;
    long handle;
    long long backlog;
    if (arg_family(args, &family, e) < 0 || arg_int(args, "backlog", 128, 0, &backlog, e) < 0) return NULL;
    if (new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    Sock *s = &table[handle];
    if (bind_to(s, args, e) < 0) return discard(handle);
    if (listen(s->fd, (int)backlog) < 0) return discard_failing(handle, e, "listen");
    json_t *local = name_json(s->fd, 0, e);
    if (!local) return discard(handle);
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

static json_t *op_tcp_socket(json_t *args, Error *e) {
    int family;
    long handle;
    if (arg_family(args, &family, e) < 0 || new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    return json_pack("{s:I}", "handle", (json_int_t)handle);
}

static json_t *connection_json(long handle, Error *e) {
    json_t *local = name_json(table[handle].fd, 0, e), *peer = local ? name_json(table[handle].fd, 1, e) : NULL;
    if (!peer) {
        json_decref(local);
        return NULL;
    }
    return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)handle, "local", local, "peer", peer);
}

static json_t *op_tcp_connect(json_t *args, Error *e) {
    int family;
    long handle;
    double timeout;
    Address to;
    if (arg_family(args, &family, e) < 0 || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (address_arg(args, family, &to, e) < 0) return NULL;
    json_t *bind_args = json_object_get(args, "bind");
    if (bind_args && !json_is_null(bind_args) && !json_is_object(bind_args))
        return fail(e, "BADREQUEST", "bind must be an address object");
    if (new_socket(args, family, SOCK_STREAM, &handle, e) < 0) return NULL;
    Sock *s = &table[handle];
    if (json_is_object(bind_args) && bind_to(s, bind_args, e) < 0) return discard(handle);
    if (connect(s->fd, (struct sockaddr *)&to.ss, to.len) < 0) {
        if (errno != EINPROGRESS) return discard_failing(handle, e, "connect");
        if (timeout == 0) return discard(handle), fail(e, "EINPROGRESS", "connect: in progress");
        double deadline = now() + timeout;
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "connect", e) < 0) return discard(handle);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return discard(handle), fail_errno(e, err, "connect");
    }
    json_t *result = connection_json(handle, e);
    return result ? result : discard(handle);
}

static json_t *op_tcp_accept(json_t *args, Error *e) {
    double timeout;
    Sock *listener = arg_socket(args, NULL, e);
    if (!listener || arg_timeout(args, &timeout, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        int fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            long handle = register_socket(fd, listener->family, SOCK_STREAM);
            json_t *result = connection_json(handle, e);
            return result ? result : discard(handle);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) return fail_errno(e, errno, "accept");
        if (wait_ready(listener->fd, POLLIN, timeout, deadline, "accept", e) < 0) return NULL;
    }
}

static json_t *op_stream_send(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len, sent = 0;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || b64_arg(args, &data, &len, e) < 0) return NULL;
    double deadline = now() + timeout;
    while (len > 0) {
        ssize_t n = send(s->fd, data + sent, len - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += (size_t)n;
            if (sent == len) break;
            continue; /* keep taking what fits without waiting */
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            if (sent) break;
            free(data);
            return fail_errno(e, errno, "send");
        }
        if (sent) break; /* took some: never wait again */
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "send", e) < 0) {
            free(data);
            return NULL;
        }
    }
    free(data);
    return json_pack("{s:I}", "sent", (json_int_t)sent);
}

static json_t *op_stream_recv(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 0, 1, &max, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    unsigned char *buffer = malloc((size_t)max);
    if (!buffer) return fail(e, "ENOMEM", "recv: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = recv(s->fd, buffer, (size_t)max, 0);
        if (n >= 0) {
            json_t *result = json_pack("{s:o}", "data", b64_json(buffer, (size_t)n));
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            fail_errno(e, errno, "recv");
            break;
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recv", e) < 0) break;
    }
    free(buffer);
    return NULL;
}

static json_t *op_stream_shutdown(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *how = s ? arg_str(args, "how", e) : NULL;
    if (!how) return NULL;
    int mode = strcmp(how, "read") == 0 ? SHUT_RD : strcmp(how, "write") == 0 ? SHUT_WR
             : strcmp(how, "both") == 0 ? SHUT_RDWR : -1;
    if (mode < 0) return fail(e, "BADREQUEST", "unknown shutdown direction '%s'", how);
    if (shutdown(s->fd, mode) < 0) return fail_errno(e, errno, "shutdown");
    return json_object();
}

static json_t *op_stream_abort(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    if (!s) return NULL;
    struct linger reset = {1, 0}; /* close(2) then discards unsent data and sends RST */
    if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset) < 0) return fail_errno(e, errno, "setsockopt");
    close(s->fd);
    s->fd = -1;
    return json_object();
}

static json_t *op_udp_bind(json_t *args, Error *e) {
    int family;
    long handle;
    if (arg_family(args, &family, e) < 0 || new_socket(args, family, SOCK_DGRAM, &handle, e) < 0) return NULL;
    if (bind_to(&table[handle], args, e) < 0) return discard(handle);
    json_t *local = name_json(table[handle].fd, 0, e);
    if (!local) return discard(handle);
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

static json_t *op_udp_connect(json_t *args, Error *e) {
    Address to;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || address_arg(args, s->family, &to, e) < 0) return NULL;
    if (connect(s->fd, (struct sockaddr *)&to.ss, to.len) < 0) return fail_errno(e, errno, "connect");
    json_t *local = name_json(s->fd, 0, e), *peer = local ? name_json(s->fd, 1, e) : NULL;
    if (!peer) return json_decref(local), NULL;
    return json_pack("{s:o, s:o}", "local", local, "peer", peer);
}

static json_t *op_udp_sendto(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    Address to;
    int addressed = json_object_get(args, "host") && !json_is_null(json_object_get(args, "host"));
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    if (addressed && address_arg(args, s->family, &to, e) < 0) return NULL;
    if (b64_arg(args, &data, &len, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = addressed ? sendto(s->fd, data, len, MSG_NOSIGNAL, (struct sockaddr *)&to.ss, to.len)
                              : send(s->fd, data, len, MSG_NOSIGNAL);
        if (n >= 0) {
            free(data);
            return json_pack("{s:I}", "sent", (json_int_t)n);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            free(data);
            return fail_errno(e, errno, addressed ? "sendto" : "send");
        }
        if (wait_ready(s->fd, POLLOUT, timeout, deadline, "sendto", e) < 0) {
            free(data);
            return NULL;
        }
    }
}

static json_t *op_udp_recvfrom(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 0, 1, &max, e) < 0) return NULL;
    if (max < 0) return fail(e, "BADREQUEST", "max must be >= 0");
    unsigned char *buffer = malloc((size_t)max + 1);
    if (!buffer) return fail(e, "ENOMEM", "recvfrom: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        struct sockaddr_storage from;
        struct iovec iov = {buffer, (size_t)max};
        struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(s->fd, &msg, 0);
        if (n >= 0) {
            json_t *result = json_pack("{s:o, s:o, s:b}", "data", b64_json(buffer, (size_t)n), "peer",
                                       address_json(&from), "truncated", (msg.msg_flags & MSG_TRUNC) != 0);
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            free(buffer);
            return fail_errno(e, errno, "recvmsg");
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvfrom", e) < 0) {
            free(buffer);
            return NULL;
        }
    }
}

static json_t *op_addr_local(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    return s ? name_json(s->fd, 0, e) : NULL;
}

static json_t *op_addr_peer(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    return s ? name_json(s->fd, 1, e) : NULL;
}

static json_t *op_opt_set(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *name = s ? arg_str(args, "name", e) : NULL;
    json_t *value = json_object_get(args, "value");
    if (!name) return NULL;
    if (!value) return fail(e, "BADREQUEST", "missing argument 'value'");
    return set_option(s, name, value, e) < 0 ? NULL : json_object();
}

static json_t *op_opt_get(json_t *args, Error *e) {
    Sock *s = arg_socket(args, NULL, e);
    const char *name = s ? arg_str(args, "name", e) : NULL;
    json_t *value = name ? get_option(s, name, e) : NULL;
    return value ? json_pack("{s:o}", "value", value) : NULL;
}

/* ---- raw sockets and ICMP (protocol 1.1) ---------------------------------------------------- */

static json_t *op_raw_open(json_t *args, Error *e) {
    int family;
    if (arg_family(args, &family, e) < 0) return NULL;
    const char *protocol = arg_str(args, "protocol", e);
    if (!protocol) return NULL;
    if (strcmp(protocol, family == AF_INET ? "icmp" : "icmpv6") != 0)
        return fail(e, "BADREQUEST", "protocol must be %s for this family", family == AF_INET ? "icmp" : "icmpv6");
    json_t *kind_value = json_object_get(args, "kind");
    const char *kind = json_is_string(kind_value) ? json_string_value(kind_value) : "raw";
    int type = strcmp(kind, "raw") == 0 ? SOCK_RAW : strcmp(kind, "ping") == 0 ? SOCK_DGRAM : -1;
    if (type < 0) return fail(e, "BADREQUEST", "kind is 'raw' or 'ping'");
    json_t *options = json_object_get(args, "options");
    if (options && !json_is_null(options) && !json_is_object(options))
        return fail(e, "BADREQUEST", "options must be an object");
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (fd < 0) return fail_errno(e, errno, "socket");
    long handle = register_socket(fd, family, type);
    const char *name;
    json_t *value;
    json_object_foreach(options, name, value) {
        if (set_option(&table[handle], name, value, e) < 0) return discard(handle);
    }
    return json_pack("{s:I}", "handle", (json_int_t)handle);
}

static json_t *op_raw_send(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    Address to;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0) return NULL;
    const char *host = arg_str(args, "host", e);
    if (!host || make_address(s->family, host, 0, &to, e) < 0) return NULL;
    if (b64_arg(args, &data, &len, e) < 0) return NULL;
    double deadline = now() + timeout;
    for (;;) {
        ssize_t n = sendto(s->fd, data, len, 0, (struct sockaddr *)&to.ss, to.len);
        if (n >= 0) {
            free(data);
            return json_pack("{s:I}", "sent", (json_int_t)n);
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno) || wait_ready(s->fd, POLLOUT, timeout, deadline, "sendto", e) < 0) {
            if (!WOULD_BLOCK(errno) && !e->code) fail_errno(e, errno, "sendto");
            free(data);
            return NULL;
        }
    }
}

static json_t *op_raw_recv(json_t *args, Error *e) {
    double timeout;
    long long max;
    Sock *s = arg_socket(args, NULL, e);
    if (!s || arg_timeout(args, &timeout, e) < 0 || arg_int(args, "max", 65535, 0, &max, e) < 0) return NULL;
    if (max < 1) return fail(e, "BADREQUEST", "max must be >= 1");
    unsigned char *buffer = malloc((size_t)max);
    if (!buffer) return fail(e, "ENOMEM", "recvfrom: cannot allocate %lld bytes", max);
    double deadline = now() + timeout;
    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(s->fd, buffer, (size_t)max, 0, (struct sockaddr *)&from, &from_len);
        if (n >= 0) {
            json_t *peer = address_json(&from);
            json_object_set_new(peer, "port", json_integer(0));
            json_t *result = json_pack("{s:o, s:o}", "data", b64_json(buffer, (size_t)n), "peer", peer);
            free(buffer);
            return result;
        }
        if (errno == EINTR) continue;
        if (!WOULD_BLOCK(errno)) {
            fail_errno(e, errno, "recvfrom");
            break;
        }
        if (wait_ready(s->fd, POLLIN, timeout, deadline, "recvfrom", e) < 0) break;
    }
    free(buffer);
    return NULL;
}

/* ---- echo servers (protocol 1.2): serve.start, serve.stop ---------------------------------- */

/*
 * The classic C server: one thread, poll(2) over non-blocking sockets, a buffer per session
 * of what is owed to its client. It runs on a pthread of its own so that the request loop
 * keeps answering; serve.stop wakes it through a self-pipe, joins it and closes everything.
 */

#define SERVE_MAX_OWED (1 << 20)   /* stop reading a session that owes this much (back-pressure) */
#define SERVE_READ_SIZE (1 << 16)
#define SERVE_DATAGRAM_MAX 65536

typedef struct {
    int fd;
    unsigned char *owed; /* read, not yet echoed: owed[start, end) */
    size_t start, end, capacity;
    int client_done;     /* the client shut down its write side */
} Session;

struct Server {
    int type;    /* SOCK_STREAM or SOCK_DGRAM */
    int fd;      /* the listener, or the datagram socket */
    int wake[2]; /* self-pipe: serve.stop writes one byte, the thread returns */
    pthread_t thread;
    Session *sessions;
    size_t count, capacity;
    long accepted;
};
typedef struct Server Server;

static size_t owed_len(const Session *s) { return s->end - s->start; }

static void session_close(Session *s) {
    close(s->fd);
    free(s->owed);
    s->fd = -1;
    s->owed = NULL;
}

/* One round of service after poll(2): read what fits, write what the client takes.
 * Returns 0 while the session goes on, -1 once it has ended (its socket closed). */
static int session_service(Session *s) {
    if (!s->client_done && owed_len(s) < SERVE_MAX_OWED) {
        size_t want = SERVE_MAX_OWED - owed_len(s);
        if (want > SERVE_READ_SIZE) want = SERVE_READ_SIZE;
        if (s->capacity - s->end < want && s->start > 0) { /* make room at the end */
            memmove(s->owed, s->owed + s->start, owed_len(s));
            s->end -= s->start;
            s->start = 0;
        }
        if (s->capacity - s->end < want) {
            size_t grown = s->capacity ? s->capacity * 2 : SERVE_READ_SIZE;
            while (grown < s->end + want) grown *= 2;
            s->owed = realloc(s->owed, grown);
            if (!s->owed) abort();
            s->capacity = grown;
        }
        ssize_t n = recv(s->fd, s->owed + s->end, want, 0);
        if (n > 0) s->end += (size_t)n;
        else if (n == 0) s->client_done = 1;
        else if (errno != EINTR && !WOULD_BLOCK(errno)) return session_close(s), -1; /* reset: this session ends */
    }
    while (owed_len(s) > 0) {
        ssize_t n = send(s->fd, s->owed + s->start, owed_len(s), MSG_NOSIGNAL);
        if (n >= 0) s->start += (size_t)n;
        else if (errno == EINTR) continue;
        else if (WOULD_BLOCK(errno)) break; /* the client is not reading: poll says when it does */
        else return session_close(s), -1;
    }
    if (owed_len(s) == 0) s->start = s->end = 0;
    if (s->client_done && owed_len(s) == 0) { /* everything echoed: our FIN, then close */
        shutdown(s->fd, SHUT_WR);
        session_close(s);
        return -1;
    }
    return 0;
}

static void server_accept(Server *sv) {
    for (;;) {
        int fd = accept4(sv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            switch (errno) {
            /* a connection that failed before it was taken (accept(2): treat like EAGAIN and retry) */
            case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENOPROTOOPT:
            case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
                continue;
            default: /* EAGAIN: all taken; EMFILE and the like: again at the next wake-up */
                return;
            }
        }
        if (sv->count == sv->capacity) {
            sv->capacity = sv->capacity ? sv->capacity * 2 : 64;
            sv->sessions = realloc(sv->sessions, sv->capacity * sizeof *sv->sessions);
            if (!sv->sessions) abort();
        }
        sv->sessions[sv->count++] = (Session){.fd = fd};
        sv->accepted++;
    }
}

static void *tcp_server_main(void *arg) {
    Server *sv = arg;
    struct pollfd *fds = NULL;
    size_t fds_capacity = 0;
    for (;;) {
        size_t n = sv->count + 2;
        if (fds_capacity < n) {
            fds_capacity = n * 2;
            fds = realloc(fds, fds_capacity * sizeof *fds);
            if (!fds) abort();
        }
        fds[0] = (struct pollfd){sv->wake[0], POLLIN, 0};
        fds[1] = (struct pollfd){sv->fd, POLLIN, 0};
        for (size_t i = 0; i < sv->count; i++) {
            Session *s = &sv->sessions[i];
            short events = 0;
            if (!s->client_done && owed_len(s) < SERVE_MAX_OWED) events |= POLLIN; /* else: back-pressure */
            if (owed_len(s) > 0) events |= POLLOUT;
            fds[i + 2] = (struct pollfd){s->fd, events, 0};
        }
        if (poll(fds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sockspec-c: echo server: poll");
            break;
        }
        if (fds[0].revents) break; /* serve.stop */
        size_t kept = 0, count = sv->count;
        for (size_t i = 0; i < count; i++) {
            if (fds[i + 2].revents && session_service(&sv->sessions[i]) < 0) continue; /* ended */
            sv->sessions[kept++] = sv->sessions[i];
        }
        sv->count = kept;
        if (fds[1].revents) server_accept(sv);
    }
    free(fds);
    return NULL;
}

static void *udp_server_main(void *arg) {
    Server *sv = arg;
    unsigned char *buffer = malloc(SERVE_DATAGRAM_MAX);
    if (!buffer) abort();
    struct pollfd fds[2] = {{sv->wake[0], POLLIN, 0}, {sv->fd, POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sockspec-c: echo server: poll");
            break;
        }
        if (fds[0].revents) break; /* serve.stop */
        for (;;) { /* every datagram that has arrived, each back to its sender */
            struct sockaddr_storage from;
            socklen_t from_len = sizeof from;
            ssize_t n = recvfrom(sv->fd, buffer, SERVE_DATAGRAM_MAX, 0, (struct sockaddr *)&from, &from_len);
            if (n < 0) {
                if (errno == EINTR) continue;
                break; /* EAGAIN: all taken */
            }
            while (sendto(sv->fd, buffer, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&from, from_len) < 0) {
                if (errno == EINTR) continue;
                if (!WOULD_BLOCK(errno)) break; /* a peer that is gone is not the server's problem */
                struct pollfd out[2] = {{sv->wake[0], POLLIN, 0}, {sv->fd, POLLOUT, 0}};
                if (poll(out, 2, -1) < 0 && errno != EINTR) break;
                if (out[0].revents) goto stopped;
            }
        }
    }
stopped:
    free(buffer);
    return NULL;
}

static void server_stop(Server *sv, long *sessions) {
    char byte = 1;
    while (write(sv->wake[1], &byte, 1) < 0 && errno == EINTR) {}
    pthread_join(sv->thread, NULL);
    for (size_t i = 0; i < sv->count; i++) session_close(&sv->sessions[i]);
    close(sv->fd);
    close(sv->wake[0]);
    close(sv->wake[1]);
    if (sessions) *sessions = sv->accepted;
    free(sv->sessions);
    free(sv);
}

static json_t *op_serve_start(json_t *args, Error *e) {
    int family, on = 1;
    long long backlog;
    Address at;
    const char *kind = arg_str(args, "kind", e);
    if (!kind) return NULL;
    int type = strcmp(kind, "tcp") == 0 ? SOCK_STREAM : strcmp(kind, "udp") == 0 ? SOCK_DGRAM : -1;
    if (type < 0) return fail(e, "BADREQUEST", "kind is 'tcp' or 'udp'");
    if (arg_family(args, &family, e) < 0 || arg_int(args, "backlog", 1024, 0, &backlog, e) < 0) return NULL;
    if (address_arg(args, family, &at, e) < 0) return NULL;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno(e, errno, "socket");
    /* What C servers do before bind: a restarted server must not wait out TIME-WAIT. */
    if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        return close(fd), fail_errno(e, errno, "setsockopt SO_REUSEADDR");
    if (bind(fd, (struct sockaddr *)&at.ss, at.len) < 0) {
        int err = errno;
        close(fd);
        return fail_errno(e, err, "bind");
    }
    if (type == SOCK_STREAM && listen(fd, (int)backlog) < 0) {
        int err = errno;
        close(fd);
        return fail_errno(e, err, "listen");
    }
    json_t *local = name_json(fd, 0, e);
    if (!local) return close(fd), NULL;
    Server *sv = calloc(1, sizeof *sv);
    if (!sv) abort();
    sv->type = type;
    sv->fd = fd;
    if (pipe2(sv->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        int err = errno;
        close(fd), free(sv), json_decref(local);
        return fail_errno(e, err, "pipe2");
    }
    int err = pthread_create(&sv->thread, NULL, type == SOCK_STREAM ? tcp_server_main : udp_server_main, sv);
    if (err) {
        close(fd), close(sv->wake[0]), close(sv->wake[1]), free(sv), json_decref(local);
        return fail_errno(e, err, "pthread_create");
    }
    long handle = register_socket(fd, family, type);
    table[handle].server = sv;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)handle, "local", local);
}

static json_t *op_serve_stop(json_t *args, Error *e) {
    long handle, sessions = 0;
    Sock *s = arg_handle(args, &handle, e);
    if (!s) return NULL;
    if (!s->server) return fail(e, "EBADF", "handle %ld is a socket, not an echo server", handle);
    int type = s->server->type;
    close_handle(s, &sessions);
    return type == SOCK_STREAM ? json_pack("{s:I}", "sessions", (json_int_t)sessions) : json_object();
}

/* ---- dispatch and the request loop ------------------------------------------------------- */

static const struct {
    const char *name;
    json_t *(*run)(json_t *args, Error *e);
} OPERATIONS[] = {
    {"hello", op_hello},           {"reset", op_reset},
    {"close", op_close},           {"tcp.listen", op_tcp_listen},
    {"tcp.socket", op_tcp_socket}, {"tcp.connect", op_tcp_connect},
    {"tcp.accept", op_tcp_accept}, {"stream.send", op_stream_send},
    {"stream.recv", op_stream_recv}, {"stream.shutdown", op_stream_shutdown},
    {"stream.abort", op_stream_abort}, {"udp.bind", op_udp_bind},
    {"udp.connect", op_udp_connect}, {"udp.sendto", op_udp_sendto},
    {"udp.recvfrom", op_udp_recvfrom}, {"addr.local", op_addr_local},
    {"addr.peer", op_addr_peer},   {"opt.set", op_opt_set},
    {"opt.get", op_opt_get},       {"raw.open", op_raw_open},
    {"raw.send", op_raw_send},     {"raw.recv", op_raw_recv},
    {"serve.start", op_serve_start}, {"serve.stop", op_serve_stop},
};

static json_t *handle_request(json_t *request) {
    Error e = {0};
    json_t *id = json_object_get(request, "id"), *result = NULL;
    json_t *op = json_object_get(request, "op"), *args = json_object_get(request, "args");
    if (!json_is_object(request) || !json_is_string(op)) {
        fail(&e, "BADREQUEST", "a request is an object with a string 'op'");
    } else if (args && !json_is_null(args) && !json_is_object(args)) {
        fail(&e, "BADREQUEST", "args must be an object");
    } else {
        json_t *empty = json_object();
        size_t i = 0;
        while (i < sizeof OPERATIONS / sizeof OPERATIONS[0] && strcmp(OPERATIONS[i].name, json_string_value(op)))
            i++;
        if (i == sizeof OPERATIONS / sizeof OPERATIONS[0])
            fail(&e, "UNSUPPORTED", "unknown operation '%s'", json_string_value(op));
        else
            result = OPERATIONS[i].run(json_is_object(args) ? args : empty, &e);
        json_decref(empty);
    }
    json_t *response = json_pack("{s:O?}", "id", id);
    if (result) {
        json_object_set_new(response, "ok", json_true());
        json_object_set_new(response, "result", result);
    } else {
        json_object_set_new(response, "ok", json_false());
        json_object_set_new(response, "error", json_pack("{s:s, s:s}", "code", e.code ? e.code : "EIO",
                                                         "message", e.message));
    }
    return response;
}

static void write_all(const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) exit(1); /* the suite went away */
        data += n, len -= (size_t)n;
    }
}

static void answer(const char *line, size_t len) {
    json_error_t parse_error;
    json_t *request = json_loadb(line, len, 0, &parse_error), *response;
    if (request) {
        response = handle_request(request);
        json_decref(request);
    } else {
        response = json_pack("{s:n, s:b, s:{s:s, s:s}}", "id", "ok", 0, "error", "code", "BADREQUEST",
                             "message", parse_error.text);
    }
    size_t size = json_dumpb(response, NULL, 0, JSON_COMPACT);
    char *text = malloc(size + 1);
    if (!text) abort();
    json_dumpb(response, text, size, JSON_COMPACT);
    text[size] = '\n'; /* one write(2) per response */
    write_all(text, size + 1);
    free(text);
    json_decref(response);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a write to a reset connection must be EPIPE, not death */
    size_t capacity = 1 << 16, used = 0;
    char *buffer = malloc(capacity);
    if (!buffer) abort();
    for (;;) {
        if (used == capacity) {
            capacity *= 2;
            buffer = realloc(buffer, capacity);
            if (!buffer) abort();
        }
        ssize_t n = read(STDIN_FILENO, buffer + used, capacity - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t start = 0, scanned = used;
        used += (size_t)n;
        for (char *newline; (newline = memchr(buffer + scanned, '\n', used - scanned));) {
            size_t end = (size_t)(newline - buffer);
            if (end > start) answer(buffer + start, end - start);
            start = scanned = end + 1;
        }
        memmove(buffer, buffer + start, used - start);
        used -= start;
    }
    close_all();
    free(buffer);
    free(table);
    return 0;
}
