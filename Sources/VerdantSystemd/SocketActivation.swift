import CSystemd

/// The API socket systemd passed to verdantd (`verdantd.socket`, socket activation).
public struct ActivatedSocket: Sendable, Equatable {
    /// The listening descriptor (FD_CLOEXEC), from `SD_LISTEN_FDS_START` (3).
    public let fileDescriptor: Int32
    /// The path the socket is bound to (`ListenStream=`), from getsockname(2); empty if unnamed.
    public let path: String
}

/// Socket activation as sd_listen_fds(3) describes it: systemd binds and listens on the socket
/// (`verdantd.socket`), starts `verdantd.service` on the first connection and hands it the listening
/// descriptor as fd 3 with `LISTEN_FDS=1` and `LISTEN_PID=<our pid>`.
public enum SocketActivation {
    /// Socket activation passed something verdantd cannot serve the API on.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The one listening `AF_UNIX` stream socket systemd passed, or `nil` when the daemon was not
    /// socket-activated (`LISTEN_FDS` unset, or `LISTEN_PID` names another process: sd_listen_fds(3)
    /// checks it). `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` are removed from the environment so
    /// that jobs never inherit them. Call it once, before starting children.
    /// - Throws: `Unusable` when several descriptors, or one that is not a listening Unix stream
    ///   socket, were passed (a `verdantd.socket` with the wrong `ListenStream=`/`Accept=`).
    public static func inheritedListeningSocket() throws -> ActivatedSocket? {
        let n = verdant_listen_fds(1)
        if n < 0 {
            throw Unusable(description: "socket activation: sd_listen_fds failed (errno \(-n))")
        }
        if n == 0 { return nil }
        let first = Int32(SD_LISTEN_FDS_START)
        if n > 1 {
            throw Unusable(description: "socket activation passed \(n) descriptors; verdantd serves its API on exactly one (one ListenStream= in verdantd.socket)")
        }
        var buffer = [CChar](repeating: 0, count: 256)
        let r = verdant_listening_unix_socket(first, &buffer, buffer.count)
        if r <= 0 {
            throw Unusable(description: "socket activation: descriptor \(first) is not a listening Unix stream socket (verdantd.socket needs ListenStream=/path and Accept=no)")
        }
        let path = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return ActivatedSocket(fileDescriptor: first, path: path)
    }
}
