// adxl335_graph: prints an ADXL335 accelerometer's x, y, z for sensorbridge.
//
// Wiring (see hardware/README.md): ADXL335 VCC -> 3.3V, GND -> GND, X -> A0, Y -> A1, Z -> A2.
// Output: one line per reading, "%03d,%03d,%03d" of the raw 10-bit analogRead counts,
// ended by Serial.println (CR LF), every 20 ms (50 Hz) at 9600 baud -- the seed project's format.
// First line: the channel names, so the page can label them.
//
// Commands (a line sent to the board, e.g. from the page's send box with --allow-send):
//   rate N   sample N times a second (1..1000, and no more than the baud rate can carry)
//   ?        print the settings
// Replies start with "# " so that they are never mistaken for readings.

#ifndef BAUD
#define BAUD 9600           // the build may choose another: make BAUD=115200
#endif

const int X_PIN = A0;
const int Y_PIN = A1;
const int Z_PIN = A2;
// "%03d,%03d,%03d" CR LF, 10 bits a byte on the wire (start, 8 data, stop).
const unsigned long LINE_BITS = 13UL * 10UL;
const unsigned long MAX_RATE = BAUD / LINE_BITS < 1000UL ? BAUD / LINE_BITS : 1000UL;

unsigned long periodMicros = 20000UL;  // 50 Hz
unsigned long nextReading;             // micros() when the next reading is due
char command[24];
byte commandLength = 0;

void setup() {
  Serial.begin(BAUD);
  Serial.println("x,y,z");            // header: names the channels that follow
  nextReading = micros();
}

void printSettings() {
  Serial.print("# rate ");
  Serial.print(1000000UL / periodMicros);
  Serial.print(" Hz, baud ");
  Serial.print((unsigned long)BAUD);
  Serial.print(", max rate ");
  Serial.print(MAX_RATE);
  Serial.println(" Hz, channels x,y,z = A0,A1,A2");
}

void runCommand() {
  command[commandLength] = '\0';
  if (strcmp(command, "?") == 0) {
    printSettings();
  } else if (strncmp(command, "rate ", 5) == 0) {
    long rate = atol(command + 5);
    if (rate >= 1 && (unsigned long)rate <= MAX_RATE) {
      periodMicros = 1000000UL / rate;
      Serial.print("# rate ");
      Serial.print(rate);
      Serial.println(" Hz");
    } else {
      Serial.print("# rate must be 1 to ");
      Serial.print(MAX_RATE);
      Serial.println(" at this baud rate");
    }
  } else if (commandLength > 0) {
    Serial.print("# unknown command: ");
    Serial.println(command);
  }
  commandLength = 0;
}

// Collects a command between readings; CR, LF or both end it.
void readCommands() {
  while (Serial.available() > 0) {
    char c = Serial.read();
    if (c == '\r' || c == '\n') {
      runCommand();
    } else if (commandLength < sizeof command - 1) {
      command[commandLength++] = c;
    }
  }
}

void loop() {
  // One statement each: the order of a function's arguments is the compiler's to choose.
  int x = analogRead(X_PIN);
  int y = analogRead(Y_PIN);
  int z = analogRead(Z_PIN);
  char line[16];
  snprintf(line, sizeof line, "%03d,%03d,%03d", x, y, z);
  Serial.println(line);
  nextReading += periodMicros;        // steady rate, not "a period after the print finished"
  while ((long)(micros() - nextReading) < 0) { readCommands(); }
}
