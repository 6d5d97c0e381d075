"""`tinkex.lib`: the package path code written for tinker 0.38 imports from (`tinker.lib...`)."""
