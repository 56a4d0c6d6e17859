/// Physical units of signal channels as EDF/BDF files spell them.
public enum PhysicalUnit {
    /// Microvolts per one unit of `unit` ("uV", "µV", "mV", "V", "nV"), or nil when it is not a voltage.
    public static func microvolts(per unit: String) -> Double? {
        switch unit.trimmingCharacters(in: .whitespaces) {
        case "uV", "µV", "μV", "microV", "microvolt": return 1
        case "mV", "millivolt": return 1e3
        case "V", "volt": return 1e6
        case "nV": return 1e-3
        default: return nil
        }
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}
