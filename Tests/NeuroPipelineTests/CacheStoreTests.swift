import Foundation
import Testing
import NeuroCore
@testable import NeuroPipeline

func tempDirectory() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("np-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

struct ContentHashTests {
    @Test func knownVectorsAndFileStreaming() throws {
        // XXH3-128 of the empty input (reference value from the xxHash test suite).
        #expect(ContentHash.of([UInt8]()).description == "99aa06d3014798d86001c324468d497f")
        let d = try tempDirectory()
        let big = (0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
        try Data(big).write(to: URL(fileURLWithPath: d + "/big.bin"))
        #expect(try ContentHash.ofFile(d + "/big.bin") == ContentHash.of(big), "streamed in 4 MiB chunks = one shot")
        #expect(ContentHash(hex: ContentHash.of("x").description) == ContentHash.of("x"))
    }

    @Test func memoReHashesOnlyWhenTheIdentityChanges() throws {
        let d = try tempDirectory()
        let f = d + "/in.txt"
        try "hello".write(toFile: f, atomically: false, encoding: .utf8)
        let memo = HashMemo(path: d + "/memo.tsv")
        let h1 = try memo.hash(of: f)
        try memo.save()
        // Reloaded memo knows the file.
        #expect(try HashMemo(path: d + "/memo.tsv").hash(of: f) == h1)
        // Touch: new mtime, same content → same hash. New content → new hash.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, f, &times, 0)
        #expect(try memo.hash(of: f) == h1)
        try "hellO".write(toFile: f, atomically: false, encoding: .utf8)
        #expect(try memo.hash(of: f) != h1)
    }
}

struct CacheStoreTests {
    @Test func keysDependOnStageVersionParametersAndInputsOnly() {
        let a = ContentHash.of("a"), b = ContentHash.of("b")
        let k = CacheStore.key(stage: "psd", version: "1", parameters: .object([("nperseg", .int(256)), ("window", .string("hann"))]), inputs: [("x", a)])
        #expect(k == CacheStore.key(stage: "psd", version: "1", parameters: .object([("window", .string("hann")), ("nperseg", .int(256))]), inputs: [("x", a)]), "parameter order is irrelevant")
        #expect(k != CacheStore.key(stage: "psd", version: "2", parameters: .object([("nperseg", .int(256)), ("window", .string("hann"))]), inputs: [("x", a)]))
        #expect(k != CacheStore.key(stage: "psd", version: "1", parameters: .object([("nperseg", .int(512)), ("window", .string("hann"))]), inputs: [("x", a)]))
        #expect(k != CacheStore.key(stage: "psd", version: "1", parameters: .object([("nperseg", .int(256)), ("window", .string("hann"))]), inputs: [("x", b)]))
    }

    @Test func buildOnceThenHitAndFailedBuildsLeaveNothing() throws {
        let store = try CacheStore(root: try tempDirectory())
        let key = ContentHash.of("k1")
        var runs = 0
        let (e1, built1) = try store.entry(for: key, record: [("stage", .string("t"))]) { out in
            runs += 1
            try "data".write(toFile: out + "/result.txt", atomically: false, encoding: .utf8)
        }
        let (e2, built2) = try store.entry(for: key, record: []) { _ in runs += 1 }
        #expect(built1 && !built2 && runs == 1)
        #expect(try String(contentsOfFile: e2.outputsDirectory + "/result.txt", encoding: .utf8) == "data" && e1.directory == e2.directory)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try store.entry(for: ContentHash.of("k2"), record: []) { out in
            try "partial".write(toFile: out + "/x", atomically: false, encoding: .utf8)
            throw Boom()
        } }
        #expect(store.lookup(ContentHash.of("k2")) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/locks").isEmpty)
    }

    @Test func concurrentBuildersOfOneKeyRunTheBodyOnce() throws {
        let store = try CacheStore(root: try tempDirectory())
        let counter = UncheckedSendableBox(Lock())
        nonisolated(unsafe) var runs = 0
        parallelFor(8) { _ in
            _ = try? store.entry(for: ContentHash.of("shared"), record: []) { out in
                counter.value.withLock { runs += 1 }
                usleep(100_000)
                try "v".write(toFile: out + "/v", atomically: false, encoding: .utf8)
            }
        }
        #expect(runs == 1)
    }

    @Test func leftoversOfAKilledBuildAreIgnoredAndCollected() throws {
        let store = try CacheStore(root: try tempDirectory())
        let key = ContentHash.of("killed")
        // A build killed mid-way: its temporary directory (no manifest) and its lock, owned by a dead process.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try FileManager.default.createDirectory(atPath: store.root + "/tmp/\(key)-\(dead.processIdentifier)-1/outputs", withIntermediateDirectories: true)
        try "{\"pid\":\(dead.processIdentifier),\"host\":\"\(CacheStore.host)\",\"created\":0}".write(toFile: store.root + "/locks/\(key).lock", atomically: false, encoding: .utf8)
        // An entry directory without a complete manifest is not an entry.
        try FileManager.default.createDirectory(atPath: store.root + "/entries/\(ContentHash.of("half"))/outputs", withIntermediateDirectories: true)
        #expect(store.lookup(ContentHash.of("half")) == nil)
        #expect(store.verify().map(\.0) == [ContentHash.of("half").description])
        let (_, built) = try store.entry(for: key, record: []) { out in try "ok".write(toFile: out + "/o", atomically: false, encoding: .utf8) }
        #expect(built, "the stale lock of a dead process is broken")
        // Abandoned tmp directories older than an hour are removed by gc.
        var old = [timespec(tv_sec: 1_000, tv_nsec: 0), timespec(tv_sec: 1_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, store.root + "/tmp/\(key)-\(dead.processIdentifier)-1", &old, 0)
        store.gc()
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp").isEmpty)
    }

    @Test func liveLockIsWaitedForThenTimesOut() throws {
        let store = try CacheStore(root: try tempDirectory())
        store.lockWaitSeconds = 0.3
        let key = ContentHash.of("busy")
        try "{\"pid\":\(getpid()),\"host\":\"\(CacheStore.host)\",\"created\":\(Date().timeIntervalSince1970)}".write(toFile: store.root + "/locks/\(key).lock", atomically: false, encoding: .utf8)
        #expect(throws: RuntimeFailure.self) { try store.entry(for: key, record: []) { _ in } }
    }

    @Test func verifyFindsCorruptedOutputsAndGcKeepsTheNewest() throws {
        let store = try CacheStore(root: try tempDirectory())
        for i in 0..<3 {
            _ = try store.entry(for: ContentHash.of("e\(i)"), record: []) { out in try "value \(i)".write(toFile: out + "/f", atomically: false, encoding: .utf8) }
            usleep(5_000)
        }
        #expect(store.verify().isEmpty && store.entries().count == 3)
        let victim = store.lookup(ContentHash.of("e1"))!
        try "value X".write(toFile: victim.outputsDirectory + "/f", atomically: false, encoding: .utf8)  // same size, other bytes
        #expect(store.verify().map(\.1) == ["output f does not match its recorded hash"])
        let removed = store.gc(keepLast: 1)
        #expect(removed.count == 2 && store.entries().map(\.key) == [ContentHash.of("e2")])
    }
}
