// sensorsim: runs the sketch's firmware in simavr as an ATmega328P at 16 MHz (an Uno), with
// UART0 on a pseudo-terminal and the ADC inputs A0-A2 fed from a waveform, in real time.
//
//   sensorsim FIRMWARE.elf [--waveform FILE] [--link PATH] [--hold] [--seconds N]
//
// FIRMWARE.elf  the sketch built by hardware/adxl335_graph/Makefile
// --waveform    lines of "x,y,z" ADC counts (0-1023); reading i of the sketch (one analogRead of
//               A0, A1 and A2 each) gets line i, and the file starts over at its end. Without it,
//               a slow tilt around the ADXL335's resting counts.
// --link PATH   a symlink to the pseudo-terminal (the pty's own name is printed either way)
// --hold        create the pty, print its name, and start the CPU only when a line arrives on
//               stdin: a test opens the pty first, so it sees the firmware's very first line.
// --seconds N   stop after N seconds of simulated time.
//
// Prints "pty /dev/pts/N" on stdout once the terminal exists, and on exit the readings fed.
// Unpaced, simavr runs far faster than the chip would; this keeps simulated time within a
// millisecond of the wall clock, so the firmware's timing (its sample rate, the UART's byte
// time at the sketch's baud rate) is what a real board would show.
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <sim_avr.h>
#include <sim_elf.h>
#include <avr_adc.h>
#include <uart_pty.h>

enum { CHANNELS = 3, MAX_ROWS = 1 << 20 };

static uint16_t (*rows)[CHANNELS];
static size_t rowCount;
static size_t reading;          // the sketch's reading in progress: index of the row it gets
static avr_irq_t *adcInputs;
static avr_t *avr;

/// The integer millivolts that simavr's ADC (count = mV * 1023 / AVCC) turns into `count`.
static uint32_t millivoltsFor(uint16_t count) {
    return (uint32_t)((count * 5000u + 1022u) / 1023u);
}

/// A conversion starts: answer it with this reading's value for the channel muxed in. A
/// reading is one conversion of each channel, in any order: a channel converted a second
/// time starts the next reading.
static void conversionStarted(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    static unsigned converted;  // bit per channel converted in this reading
    union { avr_adc_mux_t mux; uint32_t raw; } trigger = { .raw = value };
    unsigned channel = trigger.mux.src;
    if (trigger.mux.kind != ADC_MUX_SINGLE || channel >= CHANNELS) return;
    if (converted & (1u << channel)) {
        reading++;
        converted = 0;
    }
    converted |= 1u << channel;
    uint16_t count = rows[reading % rowCount][channel];
    avr_raise_irq(adcInputs + channel, millivoltsFor(count));
}

static int loadWaveform(const char *path) {
    rows = calloc(MAX_ROWS, sizeof *rows);
    if (!rows) return -1;
    if (!path) {
        // Resting counts of an ADXL335 on a 5 V Uno (0 g = 338, 1 g = 68 counts), slowly tilted.
        for (rowCount = 0; rowCount < 3000; rowCount++) {
            double angle = 2 * M_PI * rowCount / 3000.0;
            rows[rowCount][0] = (uint16_t)lround(338 + 68 * sin(angle));
            rows[rowCount][1] = (uint16_t)lround(338 + 34 * sin(2 * angle));
            rows[rowCount][2] = (uint16_t)lround(338 + 68 * cos(angle));
        }
        return 0;
    }
    FILE *file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "sensorsim: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128];
    unsigned lineNumber = 0;
    while (fgets(line, sizeof line, file) && rowCount < MAX_ROWS) {
        lineNumber++;
        unsigned x, y, z;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%u,%u,%u", &x, &y, &z) != 3 || x > 1023 || y > 1023 || z > 1023) {
            fprintf(stderr, "sensorsim: %s line %u: expected x,y,z counts of 0 to 1023\n", path, lineNumber);
            fclose(file);
            return -1;
        }
        rows[rowCount][0] = (uint16_t)x;
        rows[rowCount][1] = (uint16_t)y;
        rows[rowCount][2] = (uint16_t)z;
        rowCount++;
    }
    fclose(file);
    if (rowCount == 0) {
        fprintf(stderr, "sensorsim: %s has no readings\n", path);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t stopRequested;
static void requestStop(int signal) { (void)signal; stopRequested = 1; }

static double monotonicSeconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *firmware = NULL, *waveform = NULL, *link = NULL;
    int hold = 0;
    double seconds = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--waveform") && i + 1 < argc) waveform = argv[++i];
        else if (!strcmp(argv[i], "--link") && i + 1 < argc) link = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--hold")) hold = 1;
        else if (argv[i][0] != '-' && !firmware) firmware = argv[i];
        else {
            fprintf(stderr, "usage: sensorsim FIRMWARE.elf [--waveform FILE] [--link PATH] [--hold] [--seconds N]\n");
            return 2;
        }
    }
    if (!firmware) {
        fprintf(stderr, "usage: sensorsim FIRMWARE.elf [--waveform FILE] [--link PATH] [--hold] [--seconds N]\n");
        return 2;
    }
    // Started by a test or a script: end with it, never linger holding a pty and a core. A
    // parent may have blocked the signals (the mask is inherited): take them back.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_UNBLOCK, &signals, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (loadWaveform(waveform) != 0) return 1;

    elf_firmware_t image;
    memset(&image, 0, sizeof image);
    if (elf_read_firmware(firmware, &image) != 0) {
        fprintf(stderr, "sensorsim: cannot load %s as AVR firmware\n", firmware);
        return 1;
    }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) {
        fprintf(stderr, "sensorsim: simavr has no atmega328p\n");
        return 1;
    }
    avr_init(avr);
    avr->frequency = 16000000;
    avr->vcc = avr->avcc = 5000;
    avr->aref = 5000;
    avr_load_firmware(avr, &image);
    avr->log = LOG_WARNING;

    adcInputs = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER), conversionStarted, NULL);

    static uart_pty_t uart;
    // uart_pty announces itself on stdout; ours is the line a program should read.
    uart_pty_init(avr, &uart);
    uart_pty_connect(&uart, '0');
    // After simavr's set-up, which installs handlers of its own; without SA_RESTART, so that
    // a stop also ends the wait for the start line.
    struct sigaction stop = { .sa_handler = requestStop };
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    if (link) {
        unlink(link);
        if (symlink(uart.pty.slavename, link) != 0) {
            fprintf(stderr, "sensorsim: cannot link %s: %s\n", link, strerror(errno));
            return 1;
        }
    }
    printf("pty %s\n", uart.pty.slavename);
    fflush(stdout);
    if (hold) {
        char go[16];
        if (!fgets(go, sizeof go, stdin)) return 0;
    }

    const double start = monotonicSeconds();
    const double cyclesPerSecond = avr->frequency;
    int state = cpu_Running;
    while (state != cpu_Done && state != cpu_Crashed && !stopRequested) {
        // Run a millisecond of the chip, then wait until the wall clock has caught up.
        avr_cycle_count_t until = avr->cycle + avr->frequency / 1000;
        while (avr->cycle < until && state != cpu_Done && state != cpu_Crashed) state = avr_run(avr);
        double simulated = avr->cycle / cyclesPerSecond;
        if (seconds > 0 && simulated >= seconds) break;
        double ahead = simulated - (monotonicSeconds() - start);
        if (ahead > 0) {
            struct timespec pause = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
            nanosleep(&pause, NULL);
        }
    }
    fprintf(stderr, "sensorsim: stopped after %.3f s simulated, %zu readings fed (state %d)\n",
            avr->cycle / cyclesPerSecond, reading + 1, state);
    // No uart_pty_stop: it signals its thread with SIGINT, which ends the process with 130.
    return state == cpu_Crashed ? 1 : 0;
}
