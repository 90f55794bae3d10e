enum SystemdModule {}
