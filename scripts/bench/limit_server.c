/*
 * limit_server: the fan-out benchmark's anchor (issue 23). The least a WebSocket broadcast
 * server can do on this machine: one thread, epoll, the device's lines framed once, the same
 * bytes written to every client. What the bridge costs beyond it is what its design costs.
 *
 *   limit_server PORT DEVICE [GATHER_MS [BURN_US]]
 *
 * Reads `DEVICE` (a pty from scripts/bench/feeder.py: `seq,stamp` lines) in raw mode. Each
 * line becomes the per-sample stream's array `[t, seq, stamp]` (t: now, ms since the epoch).
 * Lines are gathered for GATHER_MS (default 8, as the bridge's LoopFanout), then framed once
 * per format and written to every client of that format with one write() each:
 *   - a client that offered `sensorbridge.batch.v1` gets one `{"type":"samples",...}` text
 *     frame per gathering (after a `hello` frame), as the bridge's batched stream;
 *   - any other client gets one text frame per sample, as the bridge's per-sample stream.
 * A client that cannot take a write keeps the rest in its own buffer (up to 4 MiB; past
 * that it is closed) and is written again when its socket drains. Handshakes are RFC 6455
 * (SHA-1 of the key, here, with no library); the path and the other headers are not read.
 *
 * BURN_US (default 0) is a control, not the limit: after each write to a client the server
 * spins that many microseconds of its own CPU, so its cost a delivered sample can be raised
 * to the bridge's. Then a latency left between the two is the bridge's scheduling, not its
 * CPU cost.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING (4 << 20)

static double burn_us;

/* Spends `burn_us` of this thread's CPU (BURN_US above) after a write, leaving the write's errno. */
static void burn_keeping_errno(void) {
    if (burn_us <= 0) return;
    int saved = errno;
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    double until = ts.tv_sec * 1e6 + ts.tv_nsec / 1e3 + burn_us;
    do clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); while (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3 < until);
    errno = saved;
}
#define PROTOCOL "sensorbridge.batch.v1"

/* ---- SHA-1 (FIPS 180-4), for Sec-WebSocket-Accept ---- */
static uint32_t rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1(const unsigned char *data, size_t length, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((length + 8) / 64 + 1) * 64;
    unsigned char *m = calloc(total, 1);
    memcpy(m, data, length);
    m[length] = 0x80;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t block = 0; block < total; block += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[block + 4 * i] << 24 | (uint32_t)m[block + 4 * i + 1] << 16 |
                   (uint32_t)m[block + 4 * i + 2] << 8 | m[block + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    free(m);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static void base64(const unsigned char *in, size_t length, char *out) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < length ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < length ? in[i + 2] : 0);
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = i + 1 < length ? table[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < length ? table[v & 63] : '=';
    }
    out[o] = 0;
}

/* ---- Growing byte buffers ---- */
struct bytes { unsigned char *data; size_t used, size; };

static void append(struct bytes *b, const void *data, size_t length) {
    if (b->used + length > b->size) {
        size_t size = b->size ? b->size : 4096;
        while (size < b->used + length) size *= 2;
        b->data = realloc(b->data, size);
        b->size = size;
    }
    memcpy(b->data + b->used, data, length);
    b->used += length;
}

/* A server's text frame (unmasked, FIN) of `payload`, appended to `out`. */
static void frame(struct bytes *out, const char *payload, size_t length) {
    unsigned char head[10];
    size_t n = 0;
    head[n++] = 0x81;
    if (length < 126) head[n++] = (unsigned char)length;
    else if (length < 65536) { head[n++] = 126; head[n++] = (unsigned char)(length >> 8); head[n++] = (unsigned char)length; }
    else { head[n++] = 127; for (int i = 7; i >= 0; i--) head[n++] = (unsigned char)((uint64_t)length >> (8 * i)); }
    append(out, head, n);
    append(out, payload, length);
}

/* ---- Clients ---- */
enum { HANDSHAKE, SAMPLE, BATCH };

struct client {
    int fd, kind;
    struct bytes in, pending;
};

static int epoll_fd;
static struct client **clients;
static int client_count, client_capacity;
static long long next_seq;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void drop(struct client *c) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    for (int i = 0; i < client_count; i++)
        if (clients[i] == c) { clients[i] = clients[--client_count]; break; }
    free(c->in.data);
    free(c->pending.data);
    free(c);
}

/* Writes what the client owes, then `data`; what the socket does not take waits. */
static void send_to(struct client *c, const unsigned char *data, size_t length) {
    if (c->pending.used) {
        if (c->pending.used + length > MAX_PENDING) { drop(c); return; }
        append(&c->pending, data, length);
        return;
    }
    ssize_t written = write(c->fd, data, length);
    burn_keeping_errno();
    if (written < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return; }
        written = 0;
    }
    if ((size_t)written < length) {
        append(&c->pending, data + written, length - written);
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
    }
}

/* Writes what the client owes; 0 when that failed and the client is gone. */
static int flush_pending(struct client *c) {
    ssize_t written = write(c->fd, c->pending.data, c->pending.used);
    burn_keeping_errno();
    if (written < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return 0; }
        return 1;
    }
    memmove(c->pending.data, c->pending.data + written, c->pending.used - written);
    c->pending.used -= written;
    if (!c->pending.used) {
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
    }
    return 1;
}

/* The value of header `name` in the request, copied into `out` (empty when absent). */
static void header(const char *request, const char *name, char *out, size_t size) {
    out[0] = 0;
    size_t n = strlen(name);
    for (const char *p = strstr(request, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) != 0 || p[2 + n] != ':') continue;
        const char *v = p + 3 + n, *end = strstr(v, "\r\n");
        while (*v == ' ') v++;
        size_t length = end ? (size_t)(end - v) : strlen(v);
        if (length >= size) length = size - 1;
        memcpy(out, v, length);
        out[length] = 0;
        return;
    }
}

static void handshake(struct client *c) {
    c->in.data[c->in.used] = 0;
    const char *request = (const char *)c->in.data;
    if (!strstr(request, "\r\n\r\n")) { if (c->in.used > 8192) drop(c); return; }
    char key[128], offered[256], accept[64], answer[512];
    header(request, "Sec-WebSocket-Key", key, sizeof key);
    header(request, "Sec-WebSocket-Protocol", offered, sizeof offered);
    if (!key[0]) { drop(c); return; }
    char joined[200];
    snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char digest[20];
    sha1((const unsigned char *)joined, strlen(joined), digest);
    base64(digest, 20, accept);
    c->kind = strstr(offered, PROTOCOL) ? BATCH : SAMPLE;
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n%s\r\n", accept,
                     c->kind == BATCH ? "Sec-WebSocket-Protocol: " PROTOCOL "\r\n" : "");
    struct bytes out = {0};
    append(&out, answer, n);
    if (c->kind == BATCH) {
        char hello[256];
        int h = snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"protocol\":\"" PROTOCOL "\",\"stream\":\"limit\","
                         "\"channels\":[\"seq\",\"stamp\"],\"seq\":%lld,\"history\":0,\"state\":\"connected\"}", next_seq);
        frame(&out, hello, h);
    }
    /* The request is done with: a client holds no buffer it no longer needs. */
    free(c->in.data);
    c->in = (struct bytes){0};
    send_to(c, out.data, out.used);
    free(out.data);
}

static void accept_all(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct client *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->kind = HANDSHAKE;
        if (client_count == client_capacity) {
            client_capacity = client_capacity ? 2 * client_capacity : 1024;
            clients = realloc(clients, client_capacity * sizeof *clients);
        }
        clients[client_count++] = c;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

/* Reads what a client sent: its handshake, then frames that are not read (a close ends it). */
static void readable(struct client *c) {
    unsigned char buffer[4096];
    ssize_t n = read(c->fd, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) { drop(c); return; }
    if (n < 0 || c->kind != HANDSHAKE) return;
    append(&c->in, buffer, n);
    append(&c->in, "", 1);      /* room for the terminator handshake() writes */
    c->in.used--;
    handshake(c);
}

/* ---- The device's lines, gathered and framed once per format ---- */
static char line[256];
static size_t line_used;
static struct bytes gathered;        /* ",[t,seq,stamp]" elements of the batch */
static struct bytes per_sample;      /* one frame per sample */
static long long gathered_first = -1;

static void take_line(void) {
    line[line_used] = 0;
    char *comma = strchr(line, ',');
    line_used = 0;
    if (!comma) return;
    /* "seq,stamp" → "[t,seq,stamp]". */
    char element[300];
    int n = snprintf(element, sizeof element, "[%.3f,%.*s,%s]", now_ms(), (int)(comma - line), line, comma + 1);
    frame(&per_sample, element, n);
    if (gathered_first < 0) gathered_first = next_seq;
    append(&gathered, ",", 1);
    append(&gathered, element, n);
    next_seq++;
}

static void read_device(int device) {
    char buffer[4096];
    ssize_t n = read(device, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, device, NULL);     /* the feeder is gone */
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buffer[i] == '\n') take_line();
        else if (buffer[i] != '\r' && line_used < sizeof line - 1) line[line_used++] = buffer[i];
    }
}

static void broadcast(void) {
    if (gathered_first < 0) return;
    struct bytes batch = {0};
    char head[96];
    int h = snprintf(head, sizeof head, "{\"type\":\"samples\",\"seq\":%lld,\"samples\":[", gathered_first);
    struct bytes payload = {0};
    append(&payload, head, h);
    append(&payload, gathered.data + 1, gathered.used - 1);
    append(&payload, "]}", 2);
    frame(&batch, (const char *)payload.data, payload.used);
    for (int i = client_count - 1; i >= 0; i--) {
        if (i >= client_count) continue;             /* one dropped meanwhile */
        struct client *c = clients[i];
        if (c->kind == BATCH) send_to(c, batch.data, batch.used);
        else if (c->kind == SAMPLE) send_to(c, per_sample.data, per_sample.used);
    }
    free(batch.data);
    free(payload.data);
    gathered.used = per_sample.used = 0;
    gathered_first = -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: limit_server PORT DEVICE [GATHER_MS [BURN_US]]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double gather = argc > 3 ? atof(argv[3]) : 8;
    burn_us = argc > 4 ? atof(argv[4]) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) { limit.rlim_cur = limit.rlim_max; setrlimit(RLIMIT_NOFILE, &limit); }

    int device = open(argv[2], O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (device < 0) { perror(argv[2]); return 1; }
    struct termios tio;
    if (tcgetattr(device, &tio) == 0) { cfmakeraw(&tio); tcsetattr(device, TCSANOW, &tio); }

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 65535) < 0) { perror("listen"); return 1; }

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listener};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    event.data.ptr = &device;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, device, &event);
    printf("listening on %d\n", port);
    fflush(stdout);

    struct epoll_event events[1024];
    double due = -1;                  /* when the gathered lines go out; -1: none gathered */
    for (;;) {
        int timeout = -1;
        if (due >= 0) { double left = due - now_ms(); timeout = left > 0 ? (int)left + 1 : 0; }
        int count = epoll_wait(epoll_fd, events, 1024, timeout);
        for (int e = 0; e < count; e++) {
            void *ptr = events[e].data.ptr;
            if (ptr == &listener) accept_all(listener);
            else if (ptr == &device) {
                read_device(device);
                if (due < 0 && gathered_first >= 0) due = now_ms() + gather;
            } else {
                struct client *c = ptr;
                if ((events[e].events & EPOLLOUT) && c->pending.used && !flush_pending(c)) continue;
                if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(c);
            }
        }
        if (due >= 0 && now_ms() >= due) { broadcast(); due = -1; }
    }
}
