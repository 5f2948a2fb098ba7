import Logging
import VerdantDaemon

LoggingSystem.bootstrap(StreamLogHandler.standardError)
await DaemonCommand.runAsRoot()
