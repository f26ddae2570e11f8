// The instrument's maths (web/maths, ES modules) made available to the page's classic
// scripts while the page moves to modules (issue 21, item 7): graph.js uses
// window.SensorMaths once this module has run.
import { measure } from "./maths/statistics.js";

window.SensorMaths = Object.freeze({ measure });
if (window.sensorbridge && window.sensorbridge.draw) window.sensorbridge.draw();
