/*
 * sockspec libuv adapter: the wire protocol 1.8 (docs/protocol.md) over libuv 1.44.
 *
 * One thread and one uv_loop_t. stdin is a libuv pipe too (uv_pipe_open on descriptor 0,
 * uv_read_start): when a whole request line has arrived, reading stdin stops and the loop is
 * stopped (uv_stop); each request is then answered, a blocking one by running the loop
 * (uv_run) until its callback fires or its timer (uv_timer_*) expires. Echo servers
 * (serve.start) are handles on the same loop, served whenever the loop runs: while a request
 * waits, and between requests.
 *
 * This file: hello, the dispatch table, stdin and the main loop. The rest, one job per file:
 * proto.c (arguments, base64, responses), errors.c, handles.c (table, close, reset, waiting),
 * address.c, options.c, tcp.c, stream.c, udp.c, serve.c, unix.c, multicast.c.
 */
#include "adapter.h"

#include <signal.h>
#include <unistd.h>

uv_loop_t *loop;

static json_t *op_hello(json_t *args, Error *e) {
    (void)args, (void)e;
    json_t *features = json_array();
    const char *names[] = {"tcp", "udp", "udp.connect", "ipv4", "ipv6", "ipv4-mapped", "tcp.socket",
                           "tcp.listener-io", "tcp.bind-connect", "stream.shutdown.write", "stream.abort",
                           "nonblocking", "serve.tcp", "serve.udp", "serve.unix", "unix.stream", "unix.socketpair",
                           /* 1.5 (README, "Protocol 1.5"): uv_tcp_connect on a handle the user
                            * has, uv_udp_connect(NULL); the rest is not libuv's */
                           "tcp.connect-handle", "udp.disconnect"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) json_array_append_new(features, json_string(names[i]));
    append_option_features(features);
    append_multicast_features(features); /* 1.7: multicast.c */
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "protocol", PROTOCOL_VERSION, "implementation", "libuv", "version",
                     uv_version_string(), "language", "c", "features", features);
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
    {"opt.get", op_opt_get},       {"serve.start", op_serve_start},
    {"serve.stop", op_serve_stop}, {"unix.listen", op_unix_listen},
    {"unix.accept", op_unix_accept}, {"unix.connect", op_unix_connect},
    {"unix.socketpair", op_unix_socketpair}, {"unix.unlink", op_unix_unlink}, {"udp.disconnect", op_udp_disconnect},
    {"udp.join", op_udp_join},     {"udp.leave", op_udp_leave},
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
        if (i == OPERATION_COUNT) {
            fail(&e, "UNSUPPORTED", "unknown operation '%s'", json_string_value(op));
        } else {
            loop_turn(); /* what reached the process before this request is delivered first */
            result = OPERATIONS[i].run(json_is_object(args) ? args : empty, &e);
        }
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

/* ---- stdin: a libuv pipe ---------------------------------------------------------------- */

static uv_pipe_t in;
static char *input;
static size_t used, capacity;
static int input_done;

static void input_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    if (capacity - used < suggested) {
        capacity = (used + suggested) * 2;
        input = realloc(input, capacity);
        if (!input) abort();
    }
    *buf = uv_buf_init(input + used, (unsigned)(capacity - used));
}

static void input_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    if (nread > 0) {
        int line = memchr(input + used, '\n', (size_t)nread) != NULL;
        used += (size_t)nread;
        if (!line) return;
    } else if (nread == 0) {
        return;
    } else {
        input_done = 1; /* UV_EOF, or an error: the suite went away */
    }
    uv_read_stop(stream); /* requests are answered outside the loop's callbacks */
    uv_stop(loop);
}

/* Answers every whole line in the buffer, in order. */
static void answer_lines(void) {
    size_t start = 0;
    for (char *newline; (newline = memchr(input + start, '\n', used - start));) {
        size_t end = (size_t)(newline - input);
        if (end > start) answer(input + start, end - start);
        start = end + 1;
    }
    memmove(input, input + start, used - start);
    used -= start;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a write to a reset connection must be EPIPE, not death */
    loop = uv_default_loop();
    int r = uv_pipe_init(loop, &in, 0);
    if (r == 0) r = uv_pipe_open(&in, 0);
    if (r < 0) {
        fprintf(stderr, "sockspec-libuv: stdin must be a pipe or a socket: %s\n", uv_strerror(r));
        return 1;
    }
    while (!input_done) {
        if ((r = uv_read_start((uv_stream_t *)&in, input_alloc, input_read)) < 0) break;
        uv_run(loop, UV_RUN_DEFAULT); /* serves echo servers until a line (or EOF) arrives */
        answer_lines();
    }
    close_all();
    close_timer();
    uv_close((uv_handle_t *)&in, NULL);
    uv_run(loop, UV_RUN_DEFAULT); /* the close callbacks */
    uv_loop_close(loop);
    free(input);
    return 0;
}
