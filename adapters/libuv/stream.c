/* Stream operations on TCP and pipe handles: accepting (uv_listen's callback, uv_accept),
 * stream.send (uv_try_write, then uv_write), stream.recv (uv_read_start for one callback),
 * stream.shutdown (uv_shutdown), stream.abort (uv_tcp_close_reset). */
#include "adapter.h"

json_t *stream_connection_json(Entry *en, Error *e) {
    json_t *local = entry_name(en, 0, e), *peer = local ? entry_name(en, 1, e) : NULL;
    if (!peer) return json_decref(local), NULL;
    return json_pack("{s:I, s:o, s:o}", "handle", (json_int_t)en->id, "local", local, "peer", peer);
}

/* uv_listen's connection callback: libuv has accept(2)ed one connection and waits for
 * uv_accept (it stops watching the listener until then). */
void on_connection(uv_stream_t *server, int status) {
    Entry *en = server->data;
    if (status < 0) en->accept_error = status;
    en->pending = 1; /* a connection, or an error to report */
}

json_t *stream_accept(Entry *listener, Entry *conn, double timeout, Error *e) {
    if (listener->listening && !run_until(&listener->pending, timeout)) {
        entry_discard(conn);
        if (timeout == 0) return supply(e, "EAGAIN", "accept: no connection in one turn of the loop");
        return fail(e, "ETIMEDOUT", "accept: timed out after %g s", timeout);
    }
    if (listener->accept_error) {
        int err = listener->accept_error;
        listener->accept_error = 0;
        listener->pending = 0;
        return discard_with(conn, e, err, "accept");
    }
    int r = uv_accept(&listener->u.stream, &conn->u.stream);
    if (r < 0) return discard_with(conn, e, r, "uv_accept");
    listener->pending = 0;
    entry_register(conn);
    json_t *result = stream_connection_json(conn, e);
    if (!result) entry_close(conn);
    return result;
}

static int is_stream(Entry *en, Error *e) {
    if (en->kind == K_TCP || en->kind == K_PIPE) return 1;
    supply(e, "EOPNOTSUPP", "handle %ld is a datagram socket: libuv has no stream call for it", en->id);
    return 0;
}

/* ---- stream.send ----------------------------------------------------------------------- */

typedef struct {
    uv_write_t req;
    Entry *en;
    char data[];
} WriteReq;

static void on_write(uv_write_t *req, int status) {
    WriteReq *w = (WriteReq *)req;
    w->en->writes_pending--;
    if (status < 0 && status != UV_ECANCELED && !w->en->write_error) w->en->write_error = status;
    free(w);
}

json_t *op_stream_send(json_t *args, Error *e) {
    double timeout;
    unsigned char *data;
    size_t len;
    Entry *en = arg_socket(args, e);
    if (!en || arg_timeout(args, &timeout, e) < 0 || b64_arg(args, &data, &len, e) < 0) return NULL;
    if (!is_stream(en, e)) return free(data), NULL;
    if (len == 0) return free(data), json_pack("{s:i}", "sent", 0);
    /* What libuv still holds of an earlier send must reach the kernel first (protocol §6). */
    if (en->writes_pending && timeout > 0 && !run_until_zero(&en->writes_pending, timeout)) {
        free(data);
        return fail(e, "ETIMEDOUT", "send: earlier data still queued in libuv after %g s", timeout);
    }
    if (en->write_error) {
        int err = en->write_error;
        en->write_error = 0;
        free(data);
        return fail_uv(e, err, "uv_write (earlier data)");
    }
    /* uv_try_write: what the kernel takes now, without queueing (UV_EAGAIN if nothing fits,
     * or while libuv still queues earlier data). */
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_try_write(&en->u.stream, &buf, 1);
    if (r >= 0 || r != UV_EAGAIN || timeout == 0) {
        free(data);
        return r >= 0 ? json_pack("{s:i}", "sent", r) : fail_uv(e, r, "uv_try_write");
    }
    /* Nothing fits: uv_write queues the data and writes it as the socket takes it. */
    WriteReq *w = malloc(sizeof *w + len);
    if (!w) abort();
    w->en = en;
    memcpy(w->data, data, len);
    free(data);
    buf = uv_buf_init(w->data, (unsigned)len);
    r = uv_write(&w->req, &en->u.stream, &buf, 1, on_write);
    if (r < 0) {
        free(w);
        return fail_uv(e, r, "uv_write");
    }
    en->writes_pending++;
    if (run_until_zero(&en->writes_pending, timeout) && en->write_error) {
        int err = en->write_error;
        en->write_error = 0;
        return fail_uv(e, err, "uv_write");
    }
    /* Written, or still queued in libuv after the timeout: libuv took every byte (§6: the next
     * send waits for them). */
    return json_pack("{s:I}", "sent", (json_int_t)len);
}

/* ---- stream.recv ----------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    Entry *en = h->data;
    *buf = uv_buf_init(en->rbuf, (unsigned)en->rmax);
}

/* One read: libuv calls back once per read(2); reading stops again at once, so that what the
 * protocol did not ask for stays in the kernel. */
static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    Entry *en = stream->data;
    if (nread == 0) return; /* EAGAIN: libuv keeps waiting */
    en->rdone = 1;
    en->rresult = nread;
    uv_read_stop(stream);
}

int read_buffer(Entry *en, long long max) {
    char *grown = realloc(en->rbuf, (size_t)max + 1);
    if (!grown) return -1;
    en->rbuf = grown;
    en->rmax = (size_t)max;
    en->rdone = 0;
    en->rresult = 0;
    en->rflags = 0;
    en->rfrom_set = 0;
    return 0;
}

json_t *op_stream_recv(json_t *args, Error *e) {
    double timeout;
    long long max;
    Entry *en = arg_socket(args, e);
    if (!en || arg_timeout(args, &timeout, e) < 0 || arg_max(args, &max, e) < 0) return NULL;
    if (!is_stream(en, e)) return NULL;
    if (read_buffer(en, max) < 0) return fail(e, "ENOMEM", "recv: cannot allocate %lld bytes", max);
    int r = uv_read_start(&en->u.stream, on_alloc, on_read);
    if (r < 0) return fail_uv(e, r, "uv_read_start");
    if (!run_until(&en->rdone, timeout)) {
        uv_read_stop(&en->u.stream);
        if (timeout == 0) return supply(e, "EAGAIN", "recv: nothing arrived in one turn of the loop");
        return fail(e, "ETIMEDOUT", "recv: timed out after %g s", timeout);
    }
    if (en->rresult == UV_EOF) return json_pack("{s:s}", "data", "");
    if (en->rresult < 0) return fail_uv(e, (int)en->rresult, "read");
    return json_pack("{s:o}", "data", b64_json((unsigned char *)en->rbuf, (size_t)en->rresult));
}

/* ---- stream.shutdown, stream.abort ----------------------------------------------------- */

static void on_shutdown(uv_shutdown_t *req, int status) {
    Entry *en = req->handle->data;
    en->sdone = 1;
    en->sstatus = status;
}

json_t *op_stream_shutdown(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    const char *how = en ? arg_str(args, "how", e) : NULL;
    if (!how) return NULL;
    if (strcmp(how, "read") && strcmp(how, "write") && strcmp(how, "both"))
        return fail(e, "BADREQUEST", "unknown shutdown direction '%s'", how);
    if (strcmp(how, "write")) /* stream.shutdown.read is not declared */
        return fail(e, "UNSUPPORTED", "libuv has no read-side shutdown (uv_shutdown shuts the write side)");
    if (!is_stream(en, e)) return NULL;
    en->sdone = 0;
    int r = uv_shutdown(&en->sreq, &en->u.stream, on_shutdown);
    if (r < 0) return fail_uv(e, r, "uv_shutdown");
    /* libuv calls shutdown(2) once its write queue is empty: with nothing queued, in the next
     * turn of the loop; with data still queued, later (answered at once). */
    if (!en->writes_pending && run_until(&en->sdone, DEFAULT_TIMEOUT) && en->sstatus < 0)
        return fail_uv(e, en->sstatus, "shutdown");
    return json_object();
}

json_t *op_stream_abort(json_t *args, Error *e) {
    Entry *en = arg_socket(args, e);
    if (!en || !is_stream(en, e)) return NULL;
    if (en->kind == K_PIPE) { /* no RST on a Unix socket: uv_close is all an abort is */
        entry_close(en);
        return json_object();
    }
    int r = uv_tcp_close_reset(&en->u.tcp, entry_on_closed); /* SO_LINGER 0, then uv_close */
    if (r < 0) return fail_uv(e, r, "uv_tcp_close_reset");
    entry_forget(en);
    en->closing = 1;
    return json_object();
}
