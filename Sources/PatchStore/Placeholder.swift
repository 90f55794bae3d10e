enum PatchStoreModule {}
