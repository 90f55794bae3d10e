enum PatchAgentModule {}
