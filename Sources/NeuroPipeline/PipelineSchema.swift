import NeuroCore

/// data-schemas/pipeline.schema.json, embedded so the CLI validates without the repository (a test checks the copy).
let pipelineSchemaText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "neuropipe/pipeline.schema.json",
  "title": "NeuroPipe pipeline specification (YAML)",
  "description": "A pipeline names its inputs and a list of stages. Participant-level stages run once per participant (BIDS sub-<label>); group-level stages run once with the outputs of every participant. `from` maps each stage input to `input` (the participant's recording) or `<stage id>.<output>`. Stage types, their inputs, outputs and parameters: `neuropipe stages`.",
  "type": "object",
  "required": [
    "stages"
  ],
  "additionalProperties": false,
  "properties": {
    "name": {
      "type": "string"
    },
    "description": {
      "type": "string"
    },
    "inputs": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "datatype": {
          "enum": [
            "eeg",
            "func",
            "anat"
          ],
          "description": "BIDS datatype folder searched for recordings (default eeg)."
        },
        "suffix": {
          "type": "string",
          "description": "BIDS suffix of the recordings (default: the datatype)."
        },
        "extensions": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Accepted file extensions (default .edf, .bdf)."
        },
        "bids": {
          "type": "string",
          "description": "BIDS dataset root, relative to the spec's folder (--bids overrides)."
        },
        "folder": {
          "type": "string",
          "description": "A folder of recordings (not BIDS), relative to the spec's folder (--input overrides)."
        },
        "files": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Explicit recordings (instead of --bids/--input), relative to the spec's folder; file names may hold * and ? patterns. The participant comes from each file's name or folder."
        }
      }
    },
    "stages": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "required": [
          "id",
          "uses"
        ],
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string",
            "description": "Letters, digits, dashes and underscores; unique."
          },
          "uses": {
            "type": "string",
            "description": "A stage type from `neuropipe stages`."
          },
          "level": {
            "enum": [
              "participant",
              "group"
            ],
            "description": "Default: the stage type's level. Participant-level stages run once per recording (each session/run/task of each participant)."
          },
          "per": {
            "enum": [
              "participant"
            ],
            "description": "Only for group-level stages: run once per participant over that participant's recordings (e.g. within-subject classification) instead of once over everyone. Later group stages receive one output per participant."
          },
          "with": {
            "type": "object",
            "description": "Parameters of the stage type."
          },
          "from": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "stage input → input | <stage id>.<output>"
          }
        }
      }
    }
  }
}

"""#
