"""Social insurance: benefits (decisions, payments) and the study rights student aid rests on."""
