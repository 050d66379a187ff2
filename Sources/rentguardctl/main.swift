print("rentguardctl")
