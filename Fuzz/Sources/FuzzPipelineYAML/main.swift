import FuzzShared
import NeuroPipeline

// Pipeline specifications: YAML parsing, schema and stage/parameter/connection checks.
runFuzzer { bytes in
    _ = try? PipelineSpec.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz.yaml")
}
