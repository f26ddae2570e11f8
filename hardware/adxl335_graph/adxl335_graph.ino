// adxl335_graph: prints an ADXL335 accelerometer's x, y, z for sensorbridge.
//
// Wiring (see hardware/README.md): ADXL335 VCC -> 3.3V, GND -> GND, X -> A0, Y -> A1, Z -> A2.
// Output: one line per reading, "%03d,%03d,%03d" of the raw 10-bit analogRead counts,
// ended by Serial.println (CR LF), every 20 ms (50 Hz) at 9600 baud -- the seed project's format.
// Optional first line: the channel names, so the page can label them.

const int X_PIN = A0;
const int Y_PIN = A1;
const int Z_PIN = A2;
const unsigned long PERIOD_MS = 20;   // 50 Hz

void setup() {
  Serial.begin(9600);
  Serial.println("x,y,z");            // header: names the channels that follow
}

void loop() {
  static unsigned long next = millis();
  char line[16];
  snprintf(line, sizeof line, "%03d,%03d,%03d", analogRead(X_PIN), analogRead(Y_PIN), analogRead(Z_PIN));
  Serial.println(line);
  next += PERIOD_MS;                  // steady rate, not "20 ms after the print finished"
  while ((long)(millis() - next) < 0) {}
}
