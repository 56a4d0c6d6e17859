/// NeuroPipe's version, written into provenance sidecars and cache manifests.
public enum NeuroPipeVersion {
    public static let current = "0.1.0"
}
