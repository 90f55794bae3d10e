enum PackageManagersModule {}
