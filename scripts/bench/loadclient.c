/*
 * loadclient: N WebSocket clients in one thread (epoll), cheap enough that on a 2-core
 * machine the server, not the client, is what is measured.
 *
 *   loadclient PORT CLIENTS SECONDS [PATH] [PROTOCOL]
 *
 * Each client connects to 127.0.0.1:PORT, sends an RFC 6455 handshake for PATH (default
 * /graph?history=0), offering PROTOCOL if given, and counts the text frames it receives.
 * A frame is a sample when it is a JSON array whose last number is the feeder's time
 * stamp in milliseconds since the epoch (scripts/bench/feeder.py writes `seq,stamp`); the
 * latency is now minus that stamp. For `sensorbridge.batch.v1`, every [t, seq, stamp]
 * array inside a `samples` message counts.
 *
 * Prints one JSON line: clients connected, slowest connect (ms), samples per client
 * (min, mean), latency p50/p99/max (ms) over every delivered sample, and p50/p99 of the part
 * after the server read the line (now minus the array's first number, `t`, the server's
 * arrival time, when it is one): what is left is the feeder's write and the server's read;
 * and text frames and payload bytes a sample (what the server's framing costs a client).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER (1 << 16)
#define BUCKETS 60001 /* latency histogram: 0..60000 ms */

struct client {
    int fd;
    int upgraded;
    double started_ms, connected_ms;
    long samples;
    long first_seq, last_seq;
    size_t used;
    unsigned char *buffer;
};

static long histogram[BUCKETS];
static long total_samples;
/* From the server's arrival time `t` to the client, for the samples that carry one. */
static long after_read[BUCKETS];
static long total_after_read;
/* Text frames and their payload bytes: what the server's framing costs each client. */
static long total_frames;
static double total_payload_bytes;

static void count_latency(long *buckets, double ms) {
    long bucket = (long)ms;
    if (bucket < 0) bucket = 0;
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    buckets[bucket]++;
}

/* The p50 and p99 of a histogram of `total` entries (-1 when empty). */
static void percentiles(const long *buckets, long total, int *p50, int *p99, int *worst) {
    long seen = 0;
    *p50 = -1; *p99 = -1; *worst = 0;
    for (int i = 0; i < BUCKETS; i++) {
        if (!buckets[i]) continue;
        seen += buckets[i];
        *worst = i;
        if (*p50 < 0 && seen * 2 >= total) *p50 = i;
        if (*p99 < 0 && seen * 100 >= total * 99) *p99 = i;
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Each `[...]` array of numbers whose last number is a stamp: one sample. */
static void count_samples(struct client *c, const char *text, size_t length, double now) {
    const char *end = text + length;
    for (const char *p = text; p < end; p++) {
        if (*p != '[') continue;
        /* An array of arrays (a batch) is entered, not skipped. */
        if (p + 1 >= end || !(p[1] == '-' || (p[1] >= '0' && p[1] <= '9'))) continue;
        const char *close = memchr(p, ']', end - p);
        if (!close) return;
        const char *last = close;
        while (last > p && last[-1] != ',') last--;
        if (last > p) {
            double stamp = strtod(last, NULL);
            /* The sequence number is the value before the stamp. */
            const char *previous = last - 1;
            while (previous > p && previous[-1] != ',' && previous[-1] != '[') previous--;
            long seq = strtol(previous, NULL, 10);
            if (stamp > 1e12) {
                if (c->samples == 0) c->first_seq = seq;
                c->last_seq = seq;
                count_latency(histogram, now - stamp);
                /* [t, ..., seq, stamp]: the server's arrival time first. */
                double t = strtod(p + 1, NULL);
                if (previous > p + 1 && t > 1e12) {
                    count_latency(after_read, now - t);
                    total_after_read++;
                }
                c->samples++;
                total_samples++;
            }
        }
        p = close;
    }
}

/* Consumes complete frames from the client's buffer. */
static void read_frames(struct client *c) {
    size_t offset = 0;
    double now = now_ms();
    while (c->used - offset >= 2) {
        unsigned char *frame = c->buffer + offset;
        int opcode = frame[0] & 0x0F;
        uint64_t length = frame[1] & 0x7F;
        size_t header = 2;
        if (length == 126) {
            if (c->used - offset < 4) break;
            length = (frame[2] << 8) | frame[3];
            header = 4;
        } else if (length == 127) {
            if (c->used - offset < 10) break;
            length = 0;
            for (int i = 0; i < 8; i++) length = (length << 8) | frame[2 + i];
            header = 10;
        }
        if (c->used - offset < header + length) break;
        if (opcode == 1) {
            count_samples(c, (const char *)frame + header, length, now);
            total_frames++;
            total_payload_bytes += length;
        }
        offset += header + length;
    }
    memmove(c->buffer, c->buffer + offset, c->used - offset);
    c->used -= offset;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: loadclient PORT CLIENTS SECONDS [PATH] [PROTOCOL]\n");
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]);
    double seconds = atof(argv[3]);
    const char *path = argc > 4 ? argv[4] : "/graph?history=0";
    const char *protocol = argc > 5 ? argv[5] : NULL;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);

    char request[1024];
    int request_length = snprintf(request, sizeof request,
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
        path, port, protocol ? "Sec-WebSocket-Protocol: " : "", protocol ? protocol : "", protocol ? "\r\n" : "");

    int epoll = epoll_create1(0);
    struct client *clients = calloc(count, sizeof *clients);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    double start = now_ms();
    for (int i = 0; i < count; i++) {
        struct client *c = &clients[i];
        c->buffer = malloc(BUFFER);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        c->started_ms = now_ms();
        if (connect(c->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
            perror("connect");
            return 1;
        }
        struct epoll_event event = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
    }

    struct epoll_event events[1024];
    int connected = 0;
    double measure_from = 0;
    while (now_ms() - start < seconds * 1000) {
        int ready = epoll_wait(epoll, events, 1024, 100);
        for (int e = 0; e < ready; e++) {
            struct client *c = &clients[events[e].data.u32];
            if ((events[e].events & EPOLLOUT) && !c->upgraded && c->connected_ms == 0) {
                if (write(c->fd, request, request_length) != request_length) continue;
                c->connected_ms = -1; /* request sent */
                struct epoll_event event = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
                epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &event);
            }
            if (!(events[e].events & EPOLLIN)) continue;
            ssize_t got = read(c->fd, c->buffer + c->used, BUFFER - c->used);
            if (got <= 0) {
                if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                    epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
                }
                continue;
            }
            c->used += got;
            if (!c->upgraded) {
                unsigned char *end = memmem(c->buffer, c->used, "\r\n\r\n", 4);
                if (!end) continue;
                if (memcmp(c->buffer, "HTTP/1.1 101", 12) != 0) {
                    fprintf(stderr, "client %d refused: %.*s\n", (int)events[e].data.u32, 40, c->buffer);
                    epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                size_t head = end + 4 - c->buffer;
                memmove(c->buffer, c->buffer + head, c->used - head);
                c->used -= head;
                c->upgraded = 1;
                c->connected_ms = now_ms() - c->started_ms;
                connected++;
                if (connected == count) measure_from = now_ms();
            }
            read_frames(c);
        }
    }
    double slowest_connect = 0, mean = 0, worst_share = 1, share_sum = 0;
    long least = -1;
    for (int i = 0; i < count; i++) {
        if (!clients[i].upgraded) continue;
        /* Of the samples sent while it was connected (first to last seen), the share it got. */
        long expected = clients[i].samples ? clients[i].last_seq - clients[i].first_seq + 1 : 1;
        double share = (double)clients[i].samples / (double)expected;
        if (share < worst_share) worst_share = share;
        share_sum += share;
        if (clients[i].connected_ms > slowest_connect) slowest_connect = clients[i].connected_ms;
        if (least < 0 || clients[i].samples < least) least = clients[i].samples;
        mean += clients[i].samples;
    }
    mean = connected ? mean / connected : 0;
    int p50, p99, worst, read_p50, read_p99, read_worst;
    percentiles(histogram, total_samples, &p50, &p99, &worst);
    percentiles(after_read, total_after_read, &read_p50, &read_p99, &read_worst);
    printf("{\"clients\": %d, \"connected\": %d, \"slowestConnectMs\": %.1f, \"allConnectedAfterMs\": %.0f, "
           "\"minSamples\": %ld, \"meanSamples\": %.1f, \"totalSamples\": %ld, \"worstShare\": %.4f, "
           "\"meanShare\": %.4f, \"p50Ms\": %d, \"p99Ms\": %d, \"maxMs\": %d, "
           "\"afterReadP50Ms\": %d, \"afterReadP99Ms\": %d, \"framesPerSample\": %.3f, \"bytesPerSample\": %.1f}\n",
           count, connected, slowest_connect, measure_from ? measure_from - start : -1.0, least < 0 ? 0 : least, mean,
           total_samples, connected ? worst_share : 0, connected ? share_sum / connected : 0, p50, p99, worst,
           read_p50, read_p99, total_samples ? (double)total_frames / total_samples : 0,
           total_samples ? total_payload_bytes / total_samples : 0);
    return 0;
}
