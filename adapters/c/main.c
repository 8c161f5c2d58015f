/*
 * sockspec C adapter: the wire protocol 1.5 (docs/protocol.md) over POSIX sockets.
 *
 * Reads one JSON request per line on stdin, performs it with plain BSD socket calls, and
 * writes one JSON response per line on stdout. Every socket is non-blocking; an operation
 * is attempted first and waits with poll(2) only if it would block, so operations that
 * cannot succeed report their own error at once. serve.start runs an echo server on a
 * pthread of its own (a poll(2) loop), concurrently with the request loop.
 *
 * This file: hello, the dispatch table and the request loop. The rest, one job per file:
 * proto.c (arguments, base64, responses), errors.c, handles.c, address.c, wait.c,
 * options.c, tcp.c, udp.c, raw.c, serve.c, unix.c, and for 1.5 readiness.c (wait), connecting.c
 * (pending connects, connect on a handle, udp.disconnect), flags.c (MSG_* flags, blocking calls),
 * options15.c, and for 1.7 errqueue.c (udp.errqueue, options recverr and nonblock); for SCTP (1.6,
 * 1.8) sctp.c over sctp_kernel.c or sctp_usrsctp.c (usrsctp, loaded with dlopen); adapter.h,
 * proto.h and sctp.h declare what they share.
 *
 * Build (as the suite does): cc -std=gnu11 -O2 -Wall -Wextra -o OUT *.c -ljansson -lcrypto -pthread
 */
#include "adapter.h"

#include <signal.h>

/* A feature that needs privilege or a sysctl is declared only where it works. */
static int can_open(int family, int type, int protocol) {
    int fd = socket(family, type, protocol);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}

static json_t *op_hello(json_t *args, Error *e) {
    (void)args, (void)e;
    json_t *features = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]", "tcp", "udp", "udp.connect", "ipv4", "ipv6",
                                 "ipv4-mapped", "tcp.socket", "tcp.listener-io", "tcp.bind-connect",
                                 "stream.shutdown.write",
                                 "stream.shutdown.read", "stream.abort", "nonblocking", "serve.tcp", "serve.udp",
                                 "serve.unix", "serve.unixgram");
    if (can_open(AF_INET, SOCK_RAW, IPPROTO_ICMP)) json_array_append_new(features, json_string("raw"));
    if (can_open(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) json_array_append_new(features, json_string("ping-socket"));
    /* Unix-domain sockets (1.4): every kind, Linux's abstract names and autobind, socketpair,
     * SO_PEERCRED, SCM_RIGHTS, SO_PASSCRED / SCM_CREDENTIALS. */
    const char *unix_features[] = {"unix.stream", "unix.dgram", "unix.seqpacket", "unix.abstract", "unix.autobind",
                                   "unix.socketpair", "unix.peercred", "unix.rights", "unix.credentials"};
    for (size_t i = 0; i < sizeof unix_features / sizeof *unix_features; i++)
        json_array_append_new(features, json_string(unix_features[i]));
    /* Protocol 1.5: poll(2) readiness, non-blocking connects, MSG_* flags, blocking calls. */
    const char *features_15[] = {"wait", "wait.rdhangup", "tcp.pending", "tcp.connect-handle", "udp.disconnect",
                                 "udp.reconnect", "blocking", "flag.peek", "flag.waitall", "flag.dontwait",
                                 "flag.trunc", "flag.oob"};
    for (size_t i = 0; i < sizeof features_15 / sizeof *features_15; i++)
        json_array_append_new(features, json_string(features_15[i]));
    json_array_append_new(features, json_string("udp.errqueue")); /* 1.7: errqueue.c */
    append_option_features(features);
    append_multicast_features(features); /* 1.7: multicast.c */
    append_sctp_features(features); /* 1.6: sctp.c, where the kernel or usrsctp gives SCTP */
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "protocol", PROTOCOL_VERSION, "implementation", "c-posix",
                     "version", "1.0.0", "language", "c", "features", features);
}

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
    {"unix.listen", op_unix_listen}, {"unix.accept", op_unix_accept},
    {"unix.connect", op_unix_connect}, {"unix.bind", op_unix_bind},
    {"unix.socketpair", op_unix_socketpair}, {"unix.sendto", op_unix_sendto},
    {"unix.recvfrom", op_unix_recvfrom}, {"unix.peercred", op_unix_peercred},
    {"unix.unlink", op_unix_unlink}, {"wait", op_wait},
    {"udp.join", op_udp_join},       {"udp.leave", op_udp_leave}, /* multicast.c (1.7) */
    {"udp.disconnect", op_udp_disconnect}, {"udp.errqueue", op_udp_errqueue},
    {"sctp.stack", op_sctp_stack},   {"sctp.listen", op_sctp_listen}, /* sctp.c (1.6, 1.8) */
    {"sctp.connect", op_sctp_connect}, {"sctp.accept", op_sctp_accept},
    {"sctp.send", op_sctp_send},     {"sctp.recv", op_sctp_recv},
    {"sctp.shutdown", op_sctp_shutdown}, {"sctp.abort", op_sctp_abort},
    {"sctp.status", op_sctp_status},
};
#define OPERATION_COUNT (sizeof OPERATIONS / sizeof OPERATIONS[0])

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
        while (i < OPERATION_COUNT && strcmp(OPERATIONS[i].name, json_string_value(op))) i++;
        if (i == OPERATION_COUNT)
            fail(&e, "UNSUPPORTED", "unknown operation '%s'", json_string_value(op));
        else
            result = OPERATIONS[i].run(json_is_object(args) ? args : empty, &e);
        json_decref(empty);
    }
    return make_response(id, result, &e);
}

static void answer(const char *line, size_t len) {
    json_error_t parse_error;
    json_t *request = json_loadb(line, len, 0, &parse_error), *response;
    if (request) {
        response = handle_request(request);
        json_decref(request);
    } else {
        Error e = {0};
        fail(&e, "BADREQUEST", "%s", parse_error.text);
        response = make_response(NULL, NULL, &e);
    }
    write_response(response);
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
