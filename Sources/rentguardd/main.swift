print("rentguardd")
