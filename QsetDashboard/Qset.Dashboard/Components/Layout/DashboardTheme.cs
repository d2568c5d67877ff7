using MudBlazor;

namespace Qset.Dashboard.Components.Layout;

/// <summary>The dashboard's palette, light and dark.</summary>
internal static class DashboardTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b4bdb",
            Secondary = "#0e9f8e",
            AppbarBackground = "#2f2a6b",
            Background = "#f6f7fb",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9d92ff",
            Secondary = "#3fd1bd",
            AppbarBackground = "#1b1a2e",
            Background = "#12121c",
            Surface = "#1d1d2b",
        },
    };
}
