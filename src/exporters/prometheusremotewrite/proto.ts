/**
 * Remote write 1.0 messages as a protobufjs JSON descriptor, trimmed from
 * prometheus/prometheus prompb/remote.proto and prompb/types.proto (field numbers are
 * normative; exemplars, native histograms and metadata are not sent). Embedded in a module so
 * the compiled output needs no .proto file next to it.
 */
import protobuf from "protobufjs";

const DESCRIPTOR = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: { timeseries: { rule: "repeated", type: "TimeSeries", id: 1 } },
          reserved: [[2, 2]],
        },
        TimeSeries: {
          fields: {
            labels: { rule: "repeated", type: "Label", id: 1 },
            samples: { rule: "repeated", type: "Sample", id: 2 },
          },
        },
        Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        Sample: {
          fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);
export const TimeSeriesType = root.lookupType("prometheus.TimeSeries");
export const WriteRequestType = root.lookupType("prometheus.WriteRequest");

export interface PbTimeSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}
