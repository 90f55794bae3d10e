import PatchCLI

await Patchctl.runAsMain()
