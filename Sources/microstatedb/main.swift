print("microstatedb scaffold")
