import VerdantCLI

await VerdantCommand.runAsRoot()
