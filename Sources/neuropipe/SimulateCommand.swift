import ArgumentParser
import Foundation
import NeuroCore
import NeuroPipeline

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Write synthetic datasets for demos and tests.", subcommands: [SimulateEEGCohortCommand.self, SimulateFMRICohortCommand.self])
}

struct SimulateEEGCohortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eeg-cohort", abstract: "A synthetic resting-EEG BIDS dataset of MCI and control participants (19 channels, 10-20 names).",
        discussion: "1/f background, posterior alpha, frontal theta; MCI: alpha peak 0.5 Hz lower, more theta, less alpha; older on average (age lowers the alpha peak too, a confound); overlapping groups. With --sites 2 every other pair of participants records at 200 Hz with more noise and 50 Hz interference. Every file states the data are synthetic.")

    @Option(help: "Output folder (a new BIDS dataset).") var out: String
    @Option(help: "Participants (alternating control, MCI).") var subjects: Int = 20
    @Option(help: "Seconds per recording.") var duration: Double = 60
    @Option(help: "Sites (1 or 2).") var sites: Int = 1
    @Option(help: "Seed.") var seed: UInt64 = 0
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            let people = try EEGCohortSimulator(participants: subjects, seconds: duration, sites: sites, seed: seed).write(to: out)
            printCohort(out, groups: people.map(\.group), json: json.json)
        }
    }
}

struct SimulateFMRICohortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmri-cohort", abstract: "A synthetic resting-state fMRI BIDS dataset of MCI and control participants, with its 8-region atlas.",
        discussion: "12×10×8 voxels of 4 mm, TR 2 s; two AR(1) networks over 8 regions (atlas.nii.gz at the dataset root); MCI: weaker default-mode coupling and less persistent dynamics; overlapping groups. Every file states the data are synthetic.")

    @Option(help: "Output folder (a new BIDS dataset).") var out: String
    @Option(help: "Participants (alternating control, MCI).") var subjects: Int = 20
    @Option(help: "Volumes per run.") var volumes: Int = 150
    @Option(help: "Seed.") var seed: UInt64 = 0
    @OptionGroup var json: JSONOption

    func run() throws {
        try runReportingErrors(json: json.json) {
            let people = try FMRICohortSimulator(participants: subjects, volumes: volumes, seed: seed).write(to: out)
            printCohort(out, groups: people.map(\.group), json: json.json)
        }
    }
}

/// What both simulators print: the dataset, its participant count and the participants per group.
func printCohort(_ out: String, groups: [String], json: Bool) {
    let counts = Dictionary(grouping: groups, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
    printResult(json: json, .object([("dataset", .string(out)), ("participants", .int(groups.count)),
                                      ("groups", .object(counts.map { ($0.key, .int($0.value)) }))]),
                "wrote \(out): \(groups.count) participants (\(counts.map { "\($0.value) \($0.key)" }.joined(separator: ", "))), synthetic")
}
