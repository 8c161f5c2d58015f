/* The protocol's values: arguments, base64 data, responses (docs/protocol.md §2). */
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int arg_int(json_t *args, const char *name, long long fallback, int required, long long *out, Error *e) {
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

const char *arg_str(json_t *args, const char *name, Error *e) {
    json_t *v = json_object_get(args, name);
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument '%s' must be a string", name), NULL;
    return json_string_value(v);
}

int arg_timeout(json_t *args, double *out, Error *e) {
    json_t *v = json_object_get(args, "timeout");
    *out = DEFAULT_TIMEOUT;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return fail(e, "BADREQUEST", "timeout must be a number >= 0"), -1;
    *out = json_number_value(v);
    return 0;
}

int arg_family(json_t *args, int *family, Error *e) {
    const char *name = arg_str(args, "family", e);
    if (!name) return -1;
    if (strcmp(name, "ipv4") == 0) *family = AF_INET;
    else if (strcmp(name, "ipv6") == 0) *family = AF_INET6;
    else return fail(e, "BADREQUEST", "unknown family '%s'", name), -1;
    return 0;
}

int arg_max(json_t *args, long long *max, Error *e) {
    if (arg_int(args, "max", 0, 1, max, e) < 0) return -1;
    if (*max < 1) return fail(e, "BADREQUEST", "max must be >= 1"), -1;
    if (*max > (1 << 26)) *max = 1 << 26; /* one read never returns more */
    return 0;
}

/* ---- base64 (RFC 4648 §4, strict) ----------------------------------------------------- */

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json_t *b64_json(const unsigned char *data, size_t len) {
    size_t n = 4 * ((len + 2) / 3);
    char *out = malloc(n + 1), *p = out;
    if (!out) abort();
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len) v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        *p++ = ALPHABET[(v >> 18) & 63];
        *p++ = ALPHABET[(v >> 12) & 63];
        *p++ = i + 1 < len ? ALPHABET[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? ALPHABET[v & 63] : '=';
    }
    json_t *s = json_stringn(out, n);
    free(out);
    return s;
}

static int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict decoding: the standard alphabet, padded, no stray bits after the last byte. */
int b64_arg(json_t *args, unsigned char **out, size_t *len, Error *e) {
    json_t *v = json_object_get(args, "data");
    if (!json_is_string(v)) return fail(e, "BADREQUEST", "argument 'data' must be a base64 string"), -1;
    const char *text = json_string_value(v);
    size_t n = json_string_length(v), pad = 0;
    if (n % 4) return fail(e, "BADREQUEST", "invalid base64 data: length %zu", n), -1;
    if (n >= 1 && text[n - 1] == '=') pad++;
    if (n >= 2 && text[n - 2] == '=') pad++;
    unsigned char *buf = malloc(n / 4 * 3 + 1), *p = buf;
    if (!buf) abort();
    for (size_t i = 0; i < n; i += 4) {
        int s[4];
        for (int k = 0; k < 4; k++) {
            s[k] = sextet(text[i + k]);
            if (s[k] < 0 && !(text[i + k] == '=' && i + k >= n - pad)) {
                free(buf);
                return fail(e, "BADREQUEST", "invalid base64 data"), -1;
            }
        }
        unsigned val = (unsigned)(s[0] << 18 | s[1] << 12 | (s[2] < 0 ? 0 : s[2]) << 6 | (s[3] < 0 ? 0 : s[3]));
        *p++ = (unsigned char)(val >> 16);
        if (s[2] >= 0) *p++ = (unsigned char)(val >> 8);
        else if (s[1] & 15) { free(buf); return fail(e, "BADREQUEST", "invalid base64 data: stray bits"), -1; }
        if (s[3] >= 0) *p++ = (unsigned char)val;
        else if (s[2] >= 0 && (s[2] & 3)) { free(buf); return fail(e, "BADREQUEST", "invalid base64 data: stray bits"), -1; }
    }
    *out = buf;
    *len = (size_t)(p - buf);
    return 0;
}

/* ---- responses -------------------------------------------------------------------------- */

json_t *make_response(json_t *id, json_t *result, const Error *e) {
    json_t *response = json_pack("{s:O?}", "id", id);
    if (result) {
        json_object_set_new(response, "ok", json_true());
        json_object_set_new(response, "result", result);
    } else {
        json_object_set_new(response, "ok", json_false());
        json_t *error = json_pack("{s:s, s:s}", "code", e->code ? e->code : "EIO", "message", e->message);
        if (e->supplied) json_object_set_new(error, "supplied", json_true());
        json_object_set_new(response, "error", error);
    }
    return response;
}

/* stdout stays blocking unless it shares its file description with stdin (which libuv made
 * non-blocking): then wait for room with poll(2). */
static void write_all(const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
            poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) exit(1); /* the suite went away */
        data += n, len -= (size_t)n;
    }
}

void write_response(json_t *response) {
    size_t size = json_dumpb(response, NULL, 0, JSON_COMPACT);
    char *text = malloc(size + 1);
    if (!text) abort();
    json_dumpb(response, text, size, JSON_COMPACT);
    text[size] = '\n'; /* one write(2) per response */
    write_all(text, size + 1);
    free(text);
    json_decref(response);
}
