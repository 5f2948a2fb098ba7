import Foundation
import Testing
import VerdantDaemon

/// A bad configuration value is refused with the file, the line, the key, the value given and what to
/// give instead (issue 12): exact messages for a few representative keys.
@Suite struct ConfigurationMessageTests {
    func message(_ yaml: String) -> String? {
        var c = DaemonConfiguration()
        do { try c.apply(yaml: yaml, file: "/etc/verdant/verdantd.yaml"); return nil } catch let e as ConfigurationError {
            return e.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func badValuesNameFileLineKeyAndValue() {
        #expect(message("sample-interval: 1s\nstatic-intensity: -5\n")
                == "/etc/verdant/verdantd.yaml:2: 'static-intensity' must not be negative (gCO2eq/kWh), got -5.0")
        #expect(message("replay-speed: -1\n") == "/etc/verdant/verdantd.yaml:1: 'replay-speed' must be 0 (off) or positive, got -1.0")
        #expect(message("log-level: info\n\nexecutor: docker\n")
                == "/etc/verdant/verdantd.yaml:3: 'executor' must be auto, systemd, cgroup or slurm, got 'docker'")
        #expect(message("sample-interval: often\n")
                == "/etc/verdant/verdantd.yaml:1: 'sample-interval' must be a duration such as 0.5s, 30m, 6h or PT6H; got 'often'")
    }

    /// A key written twice, and a YAML syntax error, name their line (not the whole file, as Yams'
    /// own description does).
    @Test func aDuplicatedKeyAndASyntaxErrorNameTheirLine() {
        #expect(message("log-level: info\nsample-interval: 1s\nstatic-intensity: 300\nsample-interval: 2s\n")
                == "/etc/verdant/verdantd.yaml:2: 'sample-interval' is written more than once in the same section (first here); keep one")
        // libyaml notices the unclosed flow sequence of line 2 on line 3, and says where it began.
        #expect(message("log-level: info\nsample-interval: [1s\nstatic-intensity: 300\n")
                == "/etc/verdant/verdantd.yaml:3: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2), column 17")
    }

    @Test func anUnreadableConfigurationFileNamesThePathAndTheOption() throws {
        let cmd = try DaemonCommand.parse(["--config", "/nonexistent/verdantd.yaml"])
        #expect(throws: ConfigurationError.self) { _ = try cmd.effectiveConfiguration() }
        do { _ = try cmd.effectiveConfiguration() } catch let e as ConfigurationError {
            #expect(e.description == "/nonexistent/verdantd.yaml: cannot read the configuration file (missing, unreadable by this user or not UTF-8): check the path given to --config")
        }
    }
}
