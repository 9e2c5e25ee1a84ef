// Scenario (d) sends OTLP/HTTP protobuf: the same detections, already in the detection model
// (as an upstream Tripline or Collector would forward them), encoded by Tripline's own encoder.
import { ndjsonBatches } from "./load.mjs";

export async function otlpBatches(dist, lines, first, size) {
  const { encodeLogsProto } = await import(`${dist}/pdata/otlp-proto.js`);
  const { DetectionMapper } = await import(`${dist}/processors/detection/mapper.js`);
  const mapper = DetectionMapper.fromOptions({ preset: "operant" });
  const resource = { attributes: { "service.name": "upstream-gateway" } };
  const scope = { name: "tripline/receiver/detections" };
  return ndjsonBatches(lines, first, size).map((batch) => {
    const records = lines
      .slice(batch.first - first, batch.first - first + batch.count)
      .map((line) => {
        const record = {
          time: 0n,
          observedTime: BigInt(Date.now()) * 1_000_000n,
          severityNumber: 0,
          severityText: "",
          body: JSON.parse(line),
          attributes: {},
          resource,
          scope,
        };
        mapper.map(record);
        return record;
      });
    return { ...batch, body: Buffer.from(encodeLogsProto(records)) };
  });
}
