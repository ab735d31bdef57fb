// Denied-topic detection, offline: meaning-based, on the built-in static sentence encoder.
export { builtinTopicDetector, DEFAULT_TOPIC_CALIBRATION, type TopicCalibration, type TopicDetectorOptions } from "./builtin-topic-detector.ts";
