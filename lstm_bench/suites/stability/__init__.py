"""The science of the stability claims, and recall training of the implementations under test."""
