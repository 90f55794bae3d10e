import PatchCLI

Patchctl.main()
