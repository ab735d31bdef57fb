// Denied-topic detection, offline: meaning-based, the static sentence encoder first and the full
// USE-lite on the few sentences it cannot settle.
export {
  builtinTopicDetector,
  DEFAULT_TOPIC_CALIBRATION,
  type StageCalibration,
  type TopicCalibration,
  type TopicDetectorOptions,
} from "./builtin-topic-detector.ts";
