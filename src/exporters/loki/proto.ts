/**
 * Loki's push messages as a protobufjs JSON descriptor, trimmed from grafana/loki
 * pkg/push/push.proto (PushRequest, StreamAdapter, EntryAdapter with structuredMetadata) and
 * google/protobuf/timestamp.proto. Embedded so the compiled output needs no .proto file.
 */
import protobuf from "protobufjs";

const DESCRIPTOR = {
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: "repeated", type: "StreamAdapter", id: 1 } } },
        StreamAdapter: {
          fields: {
            labels: { type: "string", id: 1 },
            entries: { rule: "repeated", type: "EntryAdapter", id: 2 },
          },
        },
        LabelPairAdapter: {
          fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: "Timestamp", id: 1 },
            line: { type: "string", id: 2 },
            structuredMetadata: { rule: "repeated", type: "LabelPairAdapter", id: 3 },
          },
        },
        Timestamp: {
          fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } },
        },
      },
    },
  },
};

export const PushRequestType =
  protobuf.Root.fromJSON(DESCRIPTOR).lookupType("logproto.PushRequest");
