/* Echo servers (protocol 1.2): serve.start, serve.stop, on the adapter's own loop.
 *
 * The server of libuv's guide ("Networking": the TCP echo server): uv_tcp_bind, uv_listen with a
 * connection callback that uv_accept()s into a new uv_tcp_t and uv_read_start()s it; the read
 * callback hands every chunk to uv_write and frees it in the write callback. Two additions a
 * server owes its clients (the guide's example leaves them out): back-pressure (reading stops
 * while more than SERVE_MAX_OWED bytes wait in the handle's write queue,
 * uv_stream_get_write_queue_size, and resumes below half of it), and end of stream answered with
 * uv_shutdown, whose callback runs once every queued write went out, then uv_close.
 * UDP: uv_udp_recv_start, and each datagram goes back to its sender with uv_udp_send.
 * Unix (kind "unix"): the same stream server on a uv_pipe_t (uv_pipe_bind, uv_listen). */
#include "adapter.h"

#define SERVE_MAX_OWED (1 << 20)

typedef struct Session Session;

typedef enum { SERVE_TCP, SERVE_UDP, SERVE_UNIX } ServeKind;

struct Server {
    ServeKind kind;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_udp_t udp;
    } h;
    Session *sessions; /* open sessions, a doubly linked list */
    long accepted;
    int open;          /* handles not yet closed (the listener or socket, and every session) */
    int stopping;
};

struct Session {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    uv_shutdown_t shutdown;
    Server *sv;
    Session *prev, *next;
    int reading;
    int eof;
};

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} EchoWrite;

typedef struct {
    uv_udp_send_t req;
    uv_buf_t buf;
} EchoSend;

static void server_release(Server *sv) {
    if (--sv->open == 0) free(sv);
}

static void on_server_closed(uv_handle_t *h) { server_release(h->data); }

static void on_session_closed(uv_handle_t *h) {
    Session *s = h->data;
    Server *sv = s->sv;
    if (s->prev) s->prev->next = s->next;
    else sv->sessions = s->next;
    if (s->next) s->next->prev = s->prev;
    free(s);
    server_release(sv);
}

static void session_close(Session *s) {
    if (!uv_is_closing(&s->h.handle)) uv_close(&s->h.handle, on_session_closed);
}

static void echo_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    *buf = uv_buf_init(malloc(suggested), (unsigned)suggested);
}

static void echo_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf);

static void echo_written(uv_write_t *req, int status) {
    EchoWrite *w = (EchoWrite *)req;
    Session *s = req->handle->data;
    free(w->buf.base);
    free(w);
    if (status < 0) { /* the client is gone (reset, EPIPE) or the server stops: this session ends */
        session_close(s);
        return;
    }
    if (!s->reading && !s->eof && !uv_is_closing(&s->h.handle) &&
        uv_stream_get_write_queue_size(&s->h.stream) < SERVE_MAX_OWED / 2) {
        if (uv_read_start(&s->h.stream, echo_alloc, echo_read) == 0) s->reading = 1;
    }
}

static void echo_shut(uv_shutdown_t *req, int status) {
    (void)status;
    session_close(req->handle->data); /* FIN went out after the last echo: both sides are done */
}

static void echo_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf) {
    Session *s = client->data;
    if (nread > 0) {
        EchoWrite *w = malloc(sizeof *w);
        if (!w) abort();
        w->buf = uv_buf_init(buf->base, (unsigned)nread);
        if (uv_write(&w->req, client, &w->buf, 1, echo_written) < 0) {
            free(w->buf.base);
            free(w);
            session_close(s);
            return;
        }
        if (uv_stream_get_write_queue_size(client) > SERVE_MAX_OWED) { /* back-pressure */
            uv_read_stop(client);
            s->reading = 0;
        }
        return;
    }
    free(buf->base);
    if (nread == 0) return; /* EAGAIN */
    s->reading = 0;
    if (nread == UV_EOF) { /* the client's half-close: the rest of its echo, then our FIN */
        s->eof = 1;
        if (uv_shutdown(&s->shutdown, client, echo_shut) < 0) session_close(s);
        return;
    }
    session_close(s); /* ECONNRESET and the like: this session only */
}

static void on_new_connection(uv_stream_t *server, int status) {
    Server *sv = server->data;
    if (status < 0) {
        fprintf(stderr, "sockspec-libuv: echo server: new connection error: %s\n", uv_strerror(status));
        return;
    }
    Session *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->sv = sv;
    if (sv->kind == SERVE_UNIX) uv_pipe_init(loop, &s->h.pipe, 0);
    else uv_tcp_init(loop, &s->h.tcp);
    s->h.handle.data = s;
    sv->open++;
    s->next = sv->sessions;
    if (s->next) s->next->prev = s;
    sv->sessions = s;
    if (uv_accept(server, &s->h.stream) < 0) {
        session_close(s);
        return;
    }
    sv->accepted++;
    if (uv_read_start(&s->h.stream, echo_alloc, echo_read) == 0) s->reading = 1;
    else session_close(s);
}

static void echo_sent(uv_udp_send_t *req, int status) {
    (void)status; /* a sender that is gone is not the server's problem */
    EchoSend *s = (EchoSend *)req;
    free(s->buf.base);
    free(s);
}

static void echo_datagram(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags) {
    (void)flags;
    if (nread < 0 || (nread == 0 && !addr)) { /* an error (ICMP of an earlier echo), or nothing */
        free(buf->base);
        return;
    }
    EchoSend *s = malloc(sizeof *s);
    if (!s) abort();
    s->buf = uv_buf_init(buf->base, (unsigned)nread); /* zero-length datagrams too */
    if (uv_udp_send(&s->req, h, &s->buf, 1, addr, echo_sent) < 0) {
        free(buf->base);
        free(s);
    }
}

void server_stop(Server *sv, long *sessions) {
    if (sessions) *sessions = sv->accepted;
    sv->stopping = 1;
    for (Session *s = sv->sessions; s; s = s->next) session_close(s);
    uv_close(&sv->h.handle, on_server_closed);
}

json_t *op_serve_start(json_t *args, Error *e) {
    int family = AF_UNIX, r;
    long long backlog;
    struct sockaddr_storage at;
    const char *path = NULL, *kind = arg_str(args, "kind", e);
    if (!kind) return NULL;
    ServeKind sk = !strcmp(kind, "tcp") ? SERVE_TCP : !strcmp(kind, "udp") ? SERVE_UDP : SERVE_UNIX;
    if (!strcmp(kind, "unixgram")) return fail(e, "UNSUPPORTED", "libuv has no Unix datagram sockets");
    if (sk == SERVE_UNIX && strcmp(kind, "unix")) return fail(e, "BADREQUEST", "kind is 'tcp', 'udp', 'unix' or 'unixgram'");
    if (arg_int(args, "backlog", 1024, 0, &backlog, e) < 0) return NULL;
    if (sk == SERVE_UNIX) {
        if (!(path = address_path(args, "address", 1, e))) return NULL;
    } else if (arg_family(args, &family, e) < 0 || address_arg(args, family, &at, e) < 0) {
        return NULL;
    }
    if (backlog > 65535) backlog = 65535;
    Server *sv = calloc(1, sizeof *sv);
    if (!sv) abort();
    sv->kind = sk;
    r = sk == SERVE_TCP ? uv_tcp_init(loop, &sv->h.tcp) : sk == SERVE_UDP ? uv_udp_init(loop, &sv->h.udp)
                                                                     : uv_pipe_init(loop, &sv->h.pipe, 0);
    if (r < 0) return free(sv), fail_uv(e, r, "uv_*_init");
    sv->h.handle.data = sv;
    sv->open = 1;
    const char *what = sk == SERVE_TCP ? "uv_tcp_bind" : sk == SERVE_UDP ? "uv_udp_bind" : "uv_pipe_bind";
    r = sk == SERVE_TCP ? uv_tcp_bind(&sv->h.tcp, (struct sockaddr *)&at, 0)
      : sk == SERVE_UDP ? uv_udp_bind(&sv->h.udp, (struct sockaddr *)&at, 0)
                        : uv_pipe_bind(&sv->h.pipe, path);
    if (r == 0) {
        what = sk == SERVE_UDP ? "uv_udp_recv_start" : "uv_listen";
        r = sk == SERVE_UDP ? uv_udp_recv_start(&sv->h.udp, echo_alloc, echo_datagram)
                            : uv_listen(&sv->h.stream, (int)backlog, on_new_connection);
    }
    json_t *local = NULL;
    if (r == 0) {
        if (sk == SERVE_UNIX) {
            local = pipe_name(&sv->h.pipe, 0, e);
        } else {
            struct sockaddr_storage ss;
            int len = sizeof ss;
            r = sk == SERVE_TCP ? uv_tcp_getsockname(&sv->h.tcp, (struct sockaddr *)&ss, &len)
                                : uv_udp_getsockname(&sv->h.udp, (struct sockaddr *)&ss, &len);
            if (r == 0) local = address_json((struct sockaddr *)&ss);
            else fail_uv(e, r, "getsockname");
        }
    } else {
        fail_uv(e, r, what);
    }
    if (!local) {
        uv_close(&sv->h.handle, on_server_closed);
        return NULL;
    }
    Entry *en = calloc(1, sizeof *en);
    if (!en) abort();
    en->kind = K_SERVER;
    en->family = family;
    en->server = sv;
    return json_pack("{s:I, s:o}", "handle", (json_int_t)entry_register(en), "local", local);
}

json_t *op_serve_stop(json_t *args, Error *e) {
    long sessions = 0;
    Entry *en = arg_entry(args, e);
    if (!en) return NULL;
    if (en->kind != K_SERVER) return supply(e, "EBADF", "handle %ld is a socket, not an echo server", en->id);
    int stream = en->server->kind != SERVE_UDP;
    server_stop(en->server, &sessions);
    en->server = NULL;
    entry_forget(en);
    free(en);
    loop_turn(); /* the close callbacks */
    return stream ? json_pack("{s:I}", "sessions", (json_int_t)sessions) : json_object();
}
