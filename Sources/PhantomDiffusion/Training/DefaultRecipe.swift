/// The recipe `phantom train` uses unless told otherwise: v-prediction (Salimans & Ho
/// 2022), min-SNR-γ 5 loss weights (Hang et al. 2023) and a peak learning rate of 1e-3.
/// The shipped model's earlier ε-prediction recipe at 2e-4 gave CT classes of noise and
/// only noise with DDIM and DPM-Solver++; with this one every class is a recognisable
/// slice with DPM-Solver++ in 25 steps (`Weights/medimg-64/README.md`, "Training").
/// ``TrainingOptions``' own defaults stay diffusers' so that library users who build
/// options by hand get diffusers' behaviour.
public enum DefaultRecipe {
    public static let predictionType = PredictionType.vPrediction
    public static let snrGamma = 5.0
    public static let learningRate = 1e-3
}
